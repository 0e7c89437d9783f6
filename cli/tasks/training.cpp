#include "tasks/training.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

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

HyperparameterValues suggest_loss_hyperparameter(HyperTrial& hyper, const LossHyperparameter& hyperparameter) {
  const auto size = static_cast<std::int64_t>(hyperparameter.element_names.size());
  const hypergrad::Hyperparameter values =
      hyper.suggest_hyperparameter(hyperparameter.name, hyperparameter.low, hyperparameter.high,
                                   HyperparameterOptions().log(hyperparameter.log).size(size));
  return [values] { return values.value(); };
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

// One epoch's batches: shuffled slices of the row numbers, or, when one batch covers every
// row, a single empty Batch, as the HyperOptimizer expects of full-batch training (a fresh
// permutation of every row each epoch would count as a new batch, and its converged points
// as noisy mini-batch draws).
std::vector<hypergrad::Batch> epoch_batches(std::int64_t n_rows, std::int64_t batch_size) {
  if (batch_size >= n_rows) return {hypergrad::Batch{}};
  const torch::Tensor order = torch::randperm(n_rows, torch::kInt64);
  std::vector<hypergrad::Batch> batches;
  for (std::int64_t start = 0; start < n_rows; start += batch_size) {
    batches.push_back({order.slice(0, start, std::min(start + batch_size, n_rows))});
  }
  return batches;
}

// The loss of one batch: a batch is the tensor of its row numbers; an empty one is every row.
std::function<torch::Tensor(const hypergrad::Batch&)> batch_loss(const Model& model, const DataLoss& data_loss,
                                                                 const TensorData& train) {
  return [model, &data_loss, &train](const hypergrad::Batch& batch) {
    const auto rows = [&batch](const torch::Tensor& all) { return batch.empty() ? all : all.index_select(0, batch.at(0)); };
    return data_loss(model.forward(rows(train.features)), rows(train.targets)) + model.penalty();
  };
}

// The epochs of training, one step(batch) per batch; after_epoch(epoch, validation loss).
void run_epochs(const Model& model, const DataLoss& data_loss, const TensorData& train, const TensorData& valid,
                const TrainingOptions& options, const std::function<torch::Tensor(const hypergrad::Batch&)>& step,
                const std::function<void(int, double)>& after_epoch) {
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    for (const hypergrad::Batch& batch : epoch_batches(train.features.size(0), options.batch_size)) {
      throw_if_interrupted();
      throw_if_diverged(step(batch).item<double>(), "training loss at epoch " + std::to_string(epoch));
    }
    const double validation_loss = evaluate_loss(model, data_loss, valid);
    throw_if_diverged(validation_loss, "validation loss at epoch " + std::to_string(epoch));
    after_epoch(epoch, validation_loss);
  }
}

torch::optim::SGDOptions sgd_options(const TrainingOptions& options) {
  return torch::optim::SGDOptions(options.learning_rate).momentum(options.momentum);
}

void train_with_hyper_trial(const Model& model, const DataLoss& data_loss, const TensorData& train,
                            const TensorData& valid, const TrainingOptions& options, HyperTrial& hyper) {
  hypergrad::Problem problem;
  problem.parameters = model.weights;
  problem.train_loss = batch_loss(model, data_loss, train);
  problem.val_loss = [model, &data_loss, &valid] { return data_loss(model.forward(valid.features), valid.targets); };
  problem.convex = model.convex;
  hypergrad::HyperOptimizer& optimizer = hyper.make_optimizer(
      std::move(problem), std::make_shared<torch::optim::SGD>(model.weights, sgd_options(options)));
  run_epochs(model, data_loss, train, valid, options, [&optimizer](const hypergrad::Batch& batch) { return optimizer.step(batch); },
             [&hyper](int epoch, double validation_loss) {
               if (hyper.refining()) return;  // the hyper-steps report (step = hyper-step index)
               hyper.trial().report(validation_loss, epoch);
               if (hyper.trial().should_prune()) throw TrialPruned("pruned at epoch " + std::to_string(epoch));
             });
}

// Plain SGD with the hyperparameters as they are now; the gradients go to the weights
// alone, not to the hyperparameters the penalty reads.
void train_frozen(const Model& model, const DataLoss& data_loss, const TensorData& train, const TensorData& valid,
                  const TrainingOptions& options) {
  torch::optim::SGD sgd(model.weights, sgd_options(options));
  const auto loss_of = batch_loss(model, data_loss, train);
  run_epochs(model, data_loss, train, valid, options,
             [&](const hypergrad::Batch& batch) {
               sgd.zero_grad();
               const torch::Tensor loss = loss_of(batch);
               loss.backward({}, c10::nullopt, false, model.weights);
               sgd.step();
               return loss.detach();
             },
             [](int, double) {});
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

TrainedTrial train_trial(const ModelFactory& make_model, const DataLoss& data_loss, const TensorData& train,
                         const TensorData& valid, const TrainingOptions& options, HyperTrial& hyper) {
  // With whole runs the trial's value is its best run's: that model is the one to report on.
  std::vector<Model> runs;
  while (hyper.next_round()) {
    runs.push_back(make_model());
    try {
      train_with_hyper_trial(runs.back(), data_loss, train, valid, options, hyper);
    } catch (const TrainingDiverged&) {
      // A later run's λ went too far (a learning rate too large): the trial goes on from
      // its best run. Before a run has been ranked there is nothing to fall back on.
      if (hyper.best_run() == 0) throw;
      hyper.fail_run();
    }
  }
  const double value = hyper.value();
  if (!hyper.value_needs_retraining()) return {runs.at(static_cast<std::size_t>(hyper.best_run() - 1)), value};
  const Model frozen = make_model();
  train_frozen(frozen, data_loss, train, valid, options);
  hyper.trial().set_user_attr("value_from_retraining", true);
  return {frozen, evaluate_loss(frozen, data_loss, valid)};
}

}  // namespace hpo::cli
