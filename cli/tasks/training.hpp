#pragma once

// The LibTorch side shared by the tasks: data as tensors, loss hyperparameters as tensors,
// and the training loop. A task's model has the shape of the bilevel problem that the
// hypergradient methods take (hpo::hypergrad::Problem): weights w, a training loss
// L_T(w, λ) = data loss + penalty(λ) per batch, and a validation loss L_V(w).

#include <torch/torch.h>

#include <functional>
#include <vector>

#include "data/dataset.hpp"
#include "hpo/hybrid/hyper_trial.hpp"
#include "hpo/trial.hpp"
#include "tasks/loss_hyperparameter.hpp"

namespace hpo::cli {

// Features as float32 [rows, features]; targets as float32 [rows] or labels as int64 [rows].
struct TensorData {
  torch::Tensor features;
  torch::Tensor targets;
  bool empty() const { return !features.defined() || features.size(0) == 0; }
};
TensorData with_numeric_targets(const Dataset& data);
TensorData with_class_labels(const Dataset& data);

// The current values of a loss hyperparameter, read at every evaluation of the training
// loss: a scalar tensor, or one value per element.
using HyperparameterValues = std::function<torch::Tensor()>;

// The hyperparameter's values: the study's sampler draws the initial values (params `name`
// or name[0] ... name[n-1]); under the hybrid sampler they are refined while the model
// trains, under any other sampler they stay fixed.
HyperparameterValues suggest_loss_hyperparameter(HyperTrial& hyper, const LossHyperparameter& hyperparameter);

// One trial's model.
struct Model {
  std::vector<torch::Tensor> weights;                          // w, trained by SGD
  std::function<torch::Tensor(const torch::Tensor&)> forward;  // outputs for a batch of features
  std::function<torch::Tensor()> penalty;                      // reads the loss hyperparameters
  bool convex = false;                                         // hypergrad::Problem::convex
};

// The loss of outputs against targets (mean over the batch), without penalties.
using DataLoss = std::function<torch::Tensor(const torch::Tensor& outputs, const torch::Tensor& targets)>;

// The mean cross-entropy of class scores [rows, classes] against labels: the classifiers' loss.
torch::Tensor cross_entropy(const torch::Tensor& outputs, const torch::Tensor& labels);

struct TrainingOptions {
  int epochs = 20;
  int batch_size = 64;
  double learning_rate = 0.05;
  double momentum = 0.9;
};

// A fresh model of the trial: new weights; its penalties read the trial's loss hyperparameters.
using ModelFactory = std::function<Model()>;

// The model whose validation loss is the trial's value, and that value.
struct TrainedTrial {
  Model model;
  double value = 0;
};

// Minibatch SGD with momentum on data_loss + penalty over shuffled batches of `train` (one
// full batch, passed as an empty Batch, when batch_size covers every row) of a model from
// make_model, through the trial's HyperOptimizer: under the hybrid sampler it refines the
// loss hyperparameters and reports the validation loss at each hyper-step; otherwise the
// validation loss (data_loss on `valid`) is reported after every epoch. Either way the
// pruner is asked (hpo::TrialPruned). A model is trained per run while hyper.next_round()
// grants one (whole runs). Stops with Interrupted on Ctrl-C and with TrainingDiverged on a
// non-finite loss, except in a later whole run, which then counts as failed
// (HyperTrial::fail_run). The value is hyper.value(), unless that came from
// weights trained while λ moved (HyperTrial::value_needs_retraining): then a second model
// from make_model trains the same way with λ frozen at the stored params, and its
// validation loss is the value (the user attribute value_from_retraining says so).
TrainedTrial train_trial(const ModelFactory& make_model, const DataLoss& data_loss, const TensorData& train,
                         const TensorData& valid, const TrainingOptions& options, HyperTrial& hyper);

// Seeds LibTorch's generator (initialization, batch order) from the seed and trial number.
void seed_trial(std::uint64_t seed, const Trial& trial);

// Stores test_loss (when there are test rows) as a user attribute of the trial, and for
// classifiers valid_accuracy and test_accuracy (the validation loss is the trial's value).
void record_metrics(Trial& trial, const Model& model, const DataLoss& data_loss, const TensorData& valid,
                    const TensorData& test, bool classifier);

// The largest eigenvalue of XᵀX / rows (power iteration): the curvature of a linear model's
// squared loss, which bounds the learning rates that keep SGD stable.
double largest_gram_eigenvalue(const torch::Tensor& features);

}  // namespace hpo::cli
