#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "hpo/distributions.hpp"

namespace hpo::tpe {

// The settings of Optuna's _ParzenEstimatorParameters that TPESamplerOptions exposes.
struct ParzenOptions {
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  // Multivariate TPE uses Scott's-rule widths instead of the neighbour gaps.
  bool multivariate = false;
  // Weights of n observations, oldest first (Optuna's `weights`).
  std::function<std::vector<double>(int)> weights;
};

// One truncated normal per kernel in the transformed space (log of the value for log
// distributions), on [low, high]; discretized to the grid of `step` when step > 0.
struct NumericalKernels {
  std::vector<double> mu;
  std::vector<double> sigma;
  double low = 0;
  double high = 0;
  double step = 0;
};

// One distribution over the choices per kernel: probabilities[kernel * n_choices + choice].
struct CategoricalKernels {
  std::size_t n_choices = 0;
  std::vector<double> probabilities;
};

using Kernels = std::variant<NumericalKernels, CategoricalKernels>;

// Parameters in a fixed order (the order of the columns of observations and samples).
using OrderedSpace = std::vector<std::pair<std::string, Distribution>>;

// A mixture of product kernels: one kernel per observation plus the prior kernel (last),
// as Optuna's _ParzenEstimator builds it. Values are in the internal representation.
class ParzenEstimator {
 public:
  // observations[p][i]: value of parameter p in observation i (oldest first). `weights`
  // replaces options.weights for the observations when given (multi-objective "below").
  ParzenEstimator(const std::vector<std::vector<double>>& observations, const OrderedSpace& space,
                  const ParzenOptions& options, const std::vector<double>* weights = nullptr);

  // `n` points drawn from the mixture, each a row of one value per parameter; `uniform`
  // returns numbers in [0, 1).
  std::vector<std::vector<double>> sample(const std::function<double()>& uniform, int n) const;
  // log density (log mass for discrete parameters) of each point.
  std::vector<double> log_pdf(const std::vector<std::vector<double>>& points) const;

  // Mixture weights, normalized, the prior's last. Identical kernels are merged into one
  // (summing their weights), which leaves the mixture as it is.
  const std::vector<double>& weights() const { return weights_; }
  const Kernels& kernels(std::size_t param) const { return kernels_[param]; }

 private:
  void merge_identical_kernels();

  OrderedSpace space_;
  std::vector<double> weights_;
  std::vector<Kernels> kernels_;
};

}  // namespace hpo::tpe
