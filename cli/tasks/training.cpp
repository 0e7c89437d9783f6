#include "tasks/training.hpp"

#include <cmath>
#include <string>

#include "hpo/error.hpp"
#include "interrupt.hpp"
#include "tasks/task.hpp"

namespace hpo::cli {

namespace {

torch::Tensor feature_tensor(const Dataset& data) {
  return torch::from_blob(const_cast<float*>(data.features.data()),
                          {static_cast<long>(data.n_rows()), static_cast<long>(data.n_features())},
                          torch::kFloat32)
      .clone();
}

void throw_if_diverged(double loss, const std::string& where) {
  if (!std::isfinite(loss)) {
    throw TrainingDiverged("training diverged: the " + where + " is " + std::to_string(loss));
  }
}

}  // namespace

TensorData with_numeric_targets(const Dataset& data) {
  std::vector<float> targets(data.targets.begin(), data.targets.end());
  return {feature_tensor(data),
          torch::from_blob(targets.data(), {static_cast<long>(targets.size())}, torch::kFloat32).clone()};
}

TensorData with_class_labels(const Dataset& data) {
  std::vector<std::int64_t> labels(data.labels.begin(), data.labels.end());
  return {feature_tensor(data),
          torch::from_blob(labels.data(), {static_cast<long>(labels.size())}, torch::kInt64).clone()};
}

HyperparameterValues suggest_fixed_values(Trial& trial, const LossHyperparameter& hyperparameter) {
  std::vector<double> values;
  for (const std::string& name : hyperparameter.param_names()) {
    values.push_back(trial.suggest_float(name, hyperparameter.low, hyperparameter.high, hyperparameter.log));
  }
  torch::Tensor tensor = torch::tensor(values, torch::kFloat32);
  if (hyperparameter.element_names.empty()) tensor = tensor.reshape({});
  return [tensor] { return tensor; };
}

namespace {

double evaluate_loss(const Model& model, const DataLoss& data_loss, const TensorData& data) {
  torch::NoGradGuard no_grad;
  return data_loss(model.forward(data.features), data.targets).item<double>();
}

double evaluate_accuracy(const Model& model, const TensorData& data) {
  torch::NoGradGuard no_grad;
  const torch::Tensor predicted = model.forward(data.features).argmax(1);
  return predicted.eq(data.targets).to(torch::kFloat64).mean().item<double>();
}

}  // namespace

void seed_trial(std::uint64_t seed, const Trial& trial) {
  torch::manual_seed(seed * 1000003u + static_cast<std::uint64_t>(trial.number()));
}

void record_metrics(Trial& trial, const Model& model, const DataLoss& data_loss, const TensorData& valid,
                    const TensorData& test, bool classifier) {
  if (classifier) trial.set_user_attr("valid_accuracy", evaluate_accuracy(model, valid));
  if (test.empty()) return;
  trial.set_user_attr("test_loss", evaluate_loss(model, data_loss, test));
  if (classifier) trial.set_user_attr("test_accuracy", evaluate_accuracy(model, test));
}

double largest_gram_eigenvalue(const torch::Tensor& features) {
  torch::NoGradGuard no_grad;
  const double rows = static_cast<double>(features.size(0));
  torch::Tensor vector = torch::ones({features.size(1)}, torch::kFloat64);
  const torch::Tensor x = features.to(torch::kFloat64);
  double eigenvalue = 0;
  for (int iteration = 0; iteration < 50; ++iteration) {
    const torch::Tensor product = x.t().mv(x.mv(vector)) / rows;
    eigenvalue = product.norm().item<double>() / vector.norm().item<double>();
    if (eigenvalue == 0) break;
    vector = product / product.norm();
  }
  return eigenvalue;
}

torch::Tensor cross_entropy(const torch::Tensor& outputs, const torch::Tensor& labels) {
  return torch::nn::functional::cross_entropy(outputs, labels);
}

double train_model(const Model& model, const DataLoss& data_loss, const TensorData& train,
                   const TensorData& valid, const TrainingOptions& options, Trial& trial) {
  torch::optim::SGD optimizer(model.weights,
                              torch::optim::SGDOptions(options.learning_rate).momentum(options.momentum));
  const std::int64_t n_rows = train.features.size(0);
  double validation_loss = 0;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    const torch::Tensor order = torch::randperm(n_rows, torch::kInt64);
    for (std::int64_t start = 0; start < n_rows; start += options.batch_size) {
      throw_if_interrupted();
      const torch::Tensor batch = order.slice(0, start, std::min(start + options.batch_size, n_rows));
      optimizer.zero_grad();
      const torch::Tensor loss =
          data_loss(model.forward(train.features.index_select(0, batch)), train.targets.index_select(0, batch)) +
          model.penalty();
      throw_if_diverged(loss.item<double>(), "training loss at epoch " + std::to_string(epoch));
      loss.backward();
      optimizer.step();
    }
    validation_loss = evaluate_loss(model, data_loss, valid);
    throw_if_diverged(validation_loss, "validation loss at epoch " + std::to_string(epoch));
    trial.report(validation_loss, epoch);
    if (trial.should_prune()) throw TrialPruned("pruned at epoch " + std::to_string(epoch));
  }
  return validation_loss;
}

}  // namespace hpo::cli
