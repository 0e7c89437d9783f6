#pragma once

// Whether the inner problem is stationary, judged from the gradients of its own steps
// (internal helper of the HyperOptimizer). A hyper-step of the implicit methods is only
// meaningful at w ≈ w*(λ); taken far from it, the hypergradient describes the training
// transient and can point the wrong way.

#include <cstdint>
#include <optional>

#include "hpo/hypergrad/problem.hpp"
#include "hpo/hypergrad/training_gradient.hpp"

namespace hpo::hypergrad {

struct StationarityVerdict {
  bool stationary = false;
  double gradient_ratio = 0;  // ‖ḡ‖ / ‖ḡ₀‖
  // Close enough to w*(λ) that L_V there is L_V(w*(λ)): the ratio within the value
  // tolerance, or the mini-batch noise floor.
  bool converged = false;
  // Not stationary, and the ratio fell by less than half since the previous check (of
  // the same λ): training is not about to get there.
  bool stalled = false;
  // Mini-batches: L_V at this iterate is one draw from SGD's stationary spread, so the
  // lowest of several such points is the luckiest draw, not the best λ.
  bool sampled = false;
};

class StationarityMonitor {
 public:
  StationarityMonitor(double tolerance, double decay, double min_tolerance, double value_tolerance);

  // The gradients ∇_w L_T of one inner step on `batch` (undefined entries: parameters the
  // loss did not use). Accumulated on the device, no synchronization.
  void observe(const TensorList& gradients, const Batch& batch);
  // At a check, `hyper_steps` taken so far; the first check sets the reference ḡ₀.
  StationarityVerdict check(int64_t hyper_steps);
  // λ changed: the running mean starts again (the old gradients belong to another w*).
  void restart();
  // Whether step() has been given batches holding different rows (mini-batches) so far.
  // The same tensors every step, or the same rows in a new order, are one full batch.
  bool batches_vary() const;

 private:
  double tolerance_;
  double decay_;
  double min_tolerance_;
  double value_tolerance_;
  TensorList mean_;             // running mean of g, bias-corrected at use
  torch::Tensor square_mean_;   // running mean of ‖g‖²
  int64_t count_ = 0;
  void compare_with_last_batch(const Batch& batch);

  // Only mini-batches (different rows from step to step) have a noise floor; a full-batch
  // run that oscillates has the same statistics and is not stationary.
  Batch last_batch_;
  TensorList last_sums_;  // column_sums of last_batch_'s tensors, once computed
  bool batches_vary_ = false;
  // The largest relative change of a column sum between consecutive batches of the same
  // shapes, on the device: read at checks, so that comparing batches never synchronizes.
  torch::Tensor batch_change_;
  std::optional<double> reference_;  // ‖ḡ₀‖ at the first check
  std::optional<double> previous_ratio_;  // at the previous check since restart()
  double reference_rms_ = 0;          // √(mean ‖g‖²) then
};

}  // namespace hpo::hypergrad
