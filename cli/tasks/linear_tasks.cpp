// Ridge and logistic regression: the linear model of linear_model.hpp with a global and a
// per-feature L2 penalty. They differ only in their targets and loss: ridge predicts the
// standardized numeric target with half the squared error, logistic the class scores with
// the softmax cross-entropy.
#include "tasks/builtin_tasks.hpp"
#include "tasks/linear_model.hpp"
#include "tasks/task.hpp"
#include "tasks/training.hpp"

namespace hpo::cli {

namespace {

// ½ mean squared error of a single output column.
torch::Tensor half_squared_error(const torch::Tensor& outputs, const torch::Tensor& targets) {
  return 0.5 * (outputs.squeeze(1) - targets).pow(2).mean();
}

// Scales targets with the training mean and standard deviation.
void standardize_targets(TensorData& train, TensorData& valid, TensorData& test) {
  const torch::Tensor mean = train.targets.mean();
  torch::Tensor deviation = train.targets.std(/*unbiased=*/false);
  if (deviation.item<double>() < 1e-12) deviation = torch::ones_like(deviation);
  for (TensorData* part : {&train, &valid, &test}) part->targets = (part->targets - mean) / deviation;
}

// What distinguishes the two linear tasks.
struct LinearKind {
  std::string objective;
  std::int64_t n_outputs;
  DataLoss loss;
  // The loss's largest second derivative in the outputs (sets the stable learning rate).
  double loss_curvature;
  bool classifier;
};

class LinearTask : public Task {
 public:
  LinearTask(LinearKind kind, TensorData train, TensorData valid, TensorData test, const DataSplit& data,
             const TrainingSettings& settings)
      : kind_(std::move(kind)),
        global_(global_l2_penalty()),
        per_feature_(per_feature_l2_penalty(data.train)),
        settings_(settings),
        train_(std::move(train)),
        valid_(std::move(valid)),
        test_(std::move(test)) {
    options_.epochs = settings.epochs;
    options_.batch_size = settings.batch_size;
    options_.momentum = settings.momentum;
    options_.learning_rate =
        linear_model_learning_rate(train_, settings.batch_size, options_.momentum, kind_.loss_curvature);
  }

  std::string objective() const override { return kind_.objective; }
  std::vector<std::string> hyperparameters() const override {
    return {global_.description(), per_feature_.description()};
  }

  double run_trial(Trial& trial) override {
    seed_trial(settings_.seed, trial);
    HyperTrial hyper(trial);
    const HyperparameterValues global = suggest_loss_hyperparameter(hyper, global_);
    const HyperparameterValues per_feature = suggest_loss_hyperparameter(hyper, per_feature_);
    const TrainedTrial trained = train_trial(
        [&] { return penalized_linear_model(train_.features.size(1), kind_.n_outputs, global, per_feature); },
        kind_.loss, train_, valid_, options_, hyper);
    record_metrics(trial, trained.model, kind_.loss, valid_, test_, kind_.classifier);
    return trained.value;
  }

 private:
  LinearKind kind_;
  LossHyperparameter global_;
  LossHyperparameter per_feature_;
  TrainingSettings settings_;
  TrainingOptions options_;
  TensorData train_, valid_, test_;
};

}  // namespace

std::unique_ptr<Task> make_ridge_task(const DataSplit& data, const TrainingSettings& settings) {
  if (!data.train.has_numeric_targets()) {
    throw ValueError("the ridge task needs a numeric target, but column '" + data.train.target_name +
                     "' holds text");
  }
  TensorData train = with_numeric_targets(data.train), valid = with_numeric_targets(data.valid),
             test = with_numeric_targets(data.test);
  standardize_targets(train, valid, test);
  return std::make_unique<LinearTask>(
      LinearKind{"validation loss: half the mean squared error of the standardized target", 1, half_squared_error,
                 1.0, false},
      std::move(train), std::move(valid), std::move(test), data, settings);
}

std::unique_ptr<Task> make_logistic_task(const DataSplit& data, const TrainingSettings& settings) {
  check_classification_target("logistic", data.train);
  const std::int64_t n_classes = data.train.n_classes();
  return std::make_unique<LinearTask>(
      LinearKind{"validation loss: the mean cross-entropy of " + std::to_string(n_classes) + " classes", n_classes,
                 cross_entropy, 0.5, true},
      with_class_labels(data.train), with_class_labels(data.valid), with_class_labels(data.test), data, settings);
}

}  // namespace hpo::cli
