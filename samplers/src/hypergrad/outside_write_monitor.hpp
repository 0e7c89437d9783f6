#pragma once

// Whether anything but the inner optimizer wrote the model's weights between two inner
// steps (internal helper of the HyperOptimizer): a clip or projection of the weights, an
// average written back, a second optimizer. Every method models the optimizer's update
// alone, and the implicit ones the stationary points of train_loss, so a write from
// outside makes their hypergradients wrong without a sign. Each weight tensor's Σw² (in
// float64) after a step is compared with the same sum before the next step, on the device;
// the checks read the result.

#include <optional>

#include <torch/types.h>

#include "hpo/hypergrad/training_gradient.hpp"

namespace hpo::hypergrad {

class OutsideWriteMonitor {
 public:
  void after_step(const TensorList& weights);
  void before_step(const TensorList& weights);
  // The largest relative change of a weight tensor's Σw² between a step and the next,
  // when one exceeds rounding (synchronizes with the device).
  std::optional<double> largest_write() const;

 private:
  torch::Tensor after_;   // Σw² per weight tensor after the last step
  torch::Tensor change_;  // the largest relative change seen, on the device
};

}  // namespace hpo::hypergrad
