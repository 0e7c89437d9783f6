#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

// A torch-free stand-in for `hpo optimize`'s ridge task with a global and a per-feature L2
// penalty: the same synthetic data as bench/hybrid_search's ridge problems (standard
// normal features, y = X w + noise), standardized on the training rows, but the weights
// solved exactly instead of trained by SGD.
class ClosedFormRidge {
 public:
  // `rows` rows, 80% for training; the first relevant_weights.size() of `features`
  // features carry those weights, the rest are noise.
  ClosedFormRidge(std::size_t rows, std::size_t features, const std::vector<double>& relevant_weights, double noise,
                  std::uint64_t seed);

  std::size_t n_features() const { return n_features_; }
  // Half the mean squared validation error of w = argmin ½ mean (x·w − y)² + ½ Σ_j
  // (global + per_feature[j]) w_j² on the training rows.
  double validation_loss(double global, const std::vector<double>& per_feature) const;

 private:
  std::size_t n_features_;
  std::vector<double> gram_;    // XᵀX / n of the training rows, row-major
  std::vector<double> moment_;  // Xᵀy / n of the training rows
  std::vector<double> valid_x_, valid_y_;
};
