#pragma once

// The linear model of the ridge and logistic tasks: outputs = X W + b, with the L2 penalty
// ½ Σ_i (λ + λ_i) ‖W_i‖² on the weights of each feature i (λ global, λ_i per feature; the
// bias is not penalized).

#include <torch/torch.h>

#include "data/dataset.hpp"
#include "hpo/trial.hpp"
#include "tasks/loss_hyperparameter.hpp"
#include "tasks/training.hpp"

namespace hpo::cli {

constexpr double kLowestL2 = 1e-5;
constexpr double kHighestL2 = 1.0;

inline LossHyperparameter global_l2_penalty() {
  return {"l2", {}, "", kLowestL2, kHighestL2, true, "L2 penalty on every weight"};
}

inline LossHyperparameter per_feature_l2_penalty(const Dataset& data) {
  return {"feature_l2", data.feature_names, "feature", kLowestL2, kHighestL2, true,
          "extra L2 penalty on the weights of one feature"};
}

// Zero-initialized (the loss is convex); `global` is a scalar, `per_feature` one value per feature.
inline Model penalized_linear_model(std::int64_t n_features, std::int64_t n_outputs,
                                    HyperparameterValues global, HyperparameterValues per_feature) {
  const torch::Tensor weight = torch::zeros({n_features, n_outputs}, torch::requires_grad());
  const torch::Tensor bias = torch::zeros({n_outputs}, torch::requires_grad());
  Model model;
  model.weights = {weight, bias};
  model.convex = true;  // positive L2 penalties: every minimizer gives the same outputs
  model.forward = [weight, bias](const torch::Tensor& x) { return torch::addmm(bias, x, weight); };
  model.penalty = [weight, global, per_feature] {
    return 0.5 * ((global() + per_feature()) * weight.pow(2).sum(1)).sum();
  };
  return model;
}

// SGD's learning rate for a linear model: an effective step lr / (1 - momentum) of
// 1 / (a bound on the curvature of one batch's loss), stable for every batch and every
// hyperparameter value in range. The bound adds to the whole data's curvature the largest
// share one row brings into a batch (rare values of near-constant features make such
// rows), scaled by the loss's largest second derivative in the outputs (1 for half the
// squared error, 1/2 for softmax cross-entropy), plus the largest penalty.
inline double linear_model_learning_rate(const TensorData& train, int batch_size, double momentum,
                                         double loss_curvature) {
  const double largest_row = train.features.pow(2).sum(1).max().item<double>() / batch_size;
  const double data_curvature = loss_curvature * (largest_gram_eigenvalue(train.features) + largest_row);
  const double largest_total_penalty = 2 * kHighestL2;  // global + per-feature
  return (1 - momentum) / (data_curvature + largest_total_penalty);
}

}  // namespace hpo::cli
