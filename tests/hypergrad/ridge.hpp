#pragma once

// Ridge regression with a per-feature penalty ½Σλ_i w_i², λ = e^θ, in float64: the
// bilevel problem whose hypergradient has a closed form (closed_form_hypergradient).

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "hpo/hypergrad/hypergrad.hpp"

namespace hpo::hypergrad::testing {

struct RidgeData {
  torch::Tensor train_x, train_y, val_x, val_y;
};

// y = X β + noise, with column j of X scaled by feature_scales[j] (shapes the spectrum).
// `whitened` makes the training features orthogonal with XᵀX/n = diag(feature_scales²).
inline RidgeData make_ridge_data(int64_t n_train, int64_t n_val, const std::vector<double>& feature_scales,
                                 double noise, uint64_t seed, bool whitened = false) {
  torch::manual_seed(seed);
  const auto options = torch::TensorOptions().dtype(torch::kFloat64);
  const int64_t d = static_cast<int64_t>(feature_scales.size());
  const torch::Tensor scales = torch::tensor(feature_scales, options);
  const torch::Tensor beta = torch::randn({d}, options);
  RidgeData data;
  data.train_x = torch::randn({n_train, d}, options);
  if (whitened) data.train_x = std::get<0>(torch::linalg::qr(data.train_x)) * std::sqrt(double(n_train));
  data.train_x = data.train_x * scales;
  data.val_x = torch::randn({n_val, d}, options) * scales;
  data.train_y = data.train_x.mv(beta) + noise * torch::randn({n_train}, options);
  data.val_y = data.val_x.mv(beta) + noise * torch::randn({n_val}, options);
  return data;
}

inline torch::Tensor half_mse(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w) {
  return 0.5 * (x.mv(w) - y).pow(2).mean();
}

struct Ridge {
  RidgeData data;
  torch::Tensor w;
  Hyperparameter penalty;  // λ, one per feature or a scalar

  Ridge(RidgeData ridge_data, const torch::Tensor& initial_penalty)
      : data(std::move(ridge_data)),
        w(torch::zeros({data.train_x.size(1)}, torch::kFloat64).requires_grad_(true)),
        penalty("penalty", initial_penalty, 1e-8, 1e8, /*log=*/true) {}

  torch::Tensor train_loss() const {
    return half_mse(data.train_x, data.train_y, w) + 0.5 * (penalty.value() * w * w).sum();
  }
  torch::Tensor val_loss() const { return half_mse(data.val_x, data.val_y, w); }
  // L_T on rows [batch·size, (batch+1)·size) of the training set.
  torch::Tensor batch_loss(int64_t batch, int64_t size) const {
    const torch::Tensor x = data.train_x.narrow(0, batch * size, size);
    const torch::Tensor y = data.train_y.narrow(0, batch * size, size);
    return half_mse(x, y, w) + 0.5 * (penalty.value() * w * w).sum();
  }

  // Full-batch: the batch is empty and the loss uses every training row.
  Problem problem() const {
    return Problem{{w}, {penalty}, [this](const Batch&) { return train_loss(); }, [this] { return val_loss(); }};
  }

  torch::Tensor lambda() const { return penalty.value().detach() * torch::ones_like(w); }
  torch::Tensor hessian() const {
    const torch::Tensor& x = data.train_x;
    return x.t().mm(x) / x.size(0) + torch::diag(lambda());
  }
  torch::Tensor optimum() const {
    const torch::Tensor& x = data.train_x;
    return torch::linalg::solve(hessian(), x.t().mv(data.train_y) / x.size(0), true);
  }
  void set_weights(const torch::Tensor& weights) {
    const torch::NoGradGuard no_grad;
    w.copy_(weights);
  }
  // dL_V/dθ_i = −[H⁻¹ ∇_w L_V]_i λ_i w_i at the current (optimal) weights, summed over
  // features when the penalty is a scalar.
  torch::Tensor closed_form_hypergradient() const {
    const torch::Tensor& x = data.val_x;
    const torch::Tensor v = x.t().mv(x.mv(w.detach()) - data.val_y) / x.size(0);
    const torch::Tensor per_feature = -torch::linalg::solve(hessian(), v, true) * lambda() * w.detach();
    return penalty.numel() == 1 ? per_feature.sum().reshape(penalty.theta().sizes()) : per_feature;
  }
};

inline double relative_error(const torch::Tensor& estimate, const torch::Tensor& truth) {
  return ((estimate - truth).norm() / truth.norm()).item<double>();
}

// Runs a method once at the current weights (on an empty, i.e. full, batch), outside any
// HyperOptimizer.
inline HyperGradient evaluate(Method& method, const Problem& problem,
                              const torch::optim::Optimizer& inner) {
  Counters counters;
  const Batch full;
  return method.hypergradient(HyperStepContext{problem, inner, full, counters});
}

// A hyper-step after every `steps` inner steps, stationary or not: for tests of the
// mechanics of one window, where waiting for stationarity is beside the point.
inline HyperOptimizerOptions every(int64_t steps) {
  return HyperOptimizerOptions().inner_steps(steps).stationarity_tolerance(INFINITY);
}

}  // namespace hpo::hypergrad::testing
