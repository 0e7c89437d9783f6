// Logistic (softmax) regression: a linear model of the class scores, cross-entropy loss,
// with a global and a per-feature L2 penalty.
#include "tasks/builtin_tasks.hpp"
#include "tasks/linear_model.hpp"
#include "tasks/task.hpp"
#include "tasks/training.hpp"

namespace hpo::cli {

namespace {

class LogisticTask : public Task {
 public:
  LogisticTask(const DataSplit& data, const TrainingSettings& settings)
      : global_(global_l2_penalty()), per_feature_(per_feature_l2_penalty(data.train)), settings_(settings),
        n_classes_(data.train.n_classes()) {
    check_classification_target("logistic", data.train);
    train_ = with_class_labels(data.train);
    valid_ = with_class_labels(data.valid);
    test_ = with_class_labels(data.test);
    options_.epochs = settings.epochs;
    options_.batch_size = settings.batch_size;
    options_.learning_rate = linear_model_learning_rate(train_, settings.batch_size, options_.momentum,
                                                        /*loss_curvature=*/0.5);
  }

  std::string objective() const override {
    return "validation loss: the mean cross-entropy of " + std::to_string(n_classes_) + " classes";
  }
  std::vector<std::string> hyperparameters() const override {
    return {global_.description(), per_feature_.description()};
  }

  double run_trial(Trial& trial) override {
    seed_trial(settings_.seed, trial);
    HyperTrial hyper(trial);
    const Model model = penalized_linear_model(train_.features.size(1), n_classes_,
                                               suggest_loss_hyperparameter(hyper, global_),
                                               suggest_loss_hyperparameter(hyper, per_feature_));
    const double validation_loss = train_model(model, cross_entropy, train_, valid_, options_, hyper);
    record_metrics(trial, model, cross_entropy, valid_, test_, /*classifier=*/true);
    return hyper.finish(validation_loss);
  }

 private:
  LossHyperparameter global_;
  LossHyperparameter per_feature_;
  TrainingSettings settings_;
  std::int64_t n_classes_;
  TrainingOptions options_;
  TensorData train_, valid_, test_;
};

}  // namespace

std::unique_ptr<Task> make_logistic_task(const DataSplit& data, const TrainingSettings& settings) {
  return std::make_unique<LogisticTask>(data, settings);
}

}  // namespace hpo::cli
