// Ridge regression: a linear model of the (standardized) numeric target, squared loss,
// with a global and a per-feature L2 penalty.
#include <cmath>

#include "tasks/linear_model.hpp"
#include "tasks/builtin_tasks.hpp"
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

class RidgeTask : public Task {
 public:
  RidgeTask(const DataSplit& data, const TrainingSettings& settings)
      : global_(global_l2_penalty()), per_feature_(per_feature_l2_penalty(data.train)), settings_(settings) {
    if (!data.train.has_numeric_targets()) {
      throw ValueError("the ridge task needs a numeric target, but column '" + data.train.target_name +
                       "' holds text");
    }
    train_ = with_numeric_targets(data.train);
    valid_ = with_numeric_targets(data.valid);
    test_ = with_numeric_targets(data.test);
    standardize_targets(train_, valid_, test_);
    options_.epochs = settings.epochs;
    options_.batch_size = settings.batch_size;
    options_.learning_rate = linear_model_learning_rate(train_, settings.batch_size, options_.momentum,
                                                        /*loss_curvature=*/1.0);
  }

  std::string objective() const override {
    return "validation loss: half the mean squared error of the standardized target";
  }
  std::vector<std::string> hyperparameters() const override {
    return {global_.description(), per_feature_.description()};
  }

  double run_trial(Trial& trial) override {
    seed_trial(settings_.seed, trial);
    HyperTrial hyper(trial);
    const Model model = penalized_linear_model(train_.features.size(1), 1, suggest_loss_hyperparameter(hyper, global_),
                                               suggest_loss_hyperparameter(hyper, per_feature_));
    const double validation_loss = train_model(model, half_squared_error, train_, valid_, options_, hyper);
    record_metrics(trial, model, half_squared_error, valid_, test_, /*classifier=*/false);
    return hyper.finish(validation_loss);
  }

 private:
  LossHyperparameter global_;
  LossHyperparameter per_feature_;
  TrainingSettings settings_;
  TrainingOptions options_;
  TensorData train_, valid_, test_;
};

}  // namespace

std::unique_ptr<Task> make_ridge_task(const DataSplit& data, const TrainingSettings& settings) {
  return std::make_unique<RidgeTask>(data, settings);
}

}  // namespace hpo::cli
