#pragma once

// Whether anything but the HyperOptimizer wrote the model's weights between its calls
// (internal helper): a clip or projection of the weights, an average written back, a
// second optimizer. Every method models the optimizer's update alone, and the implicit
// ones the stationary points of train_loss, so a write from outside makes their
// hypergradients wrong without a sign. Every in-place write bumps a tensor's autograd
// version counter (what PyTorch's "modified by an inplace operation" error checks), so
// comparing the counters as the HyperOptimizer left the weights with those it finds next
// costs a few host integers and no device work.

#include <cstdint>
#include <optional>
#include <vector>

#include "hpo/hypergrad/training_gradient.hpp"

namespace hpo::hypergrad {

class OutsideWriteMonitor {
 public:
  // The weights as the HyperOptimizer leaves them (after a step or a hyper-step).
  void record(const TensorList& weights) {
    versions_.clear();
    for (const torch::Tensor& w : weights) versions_.push_back(w._version());
  }
  // Before the HyperOptimizer touches the weights again: notes one written since record().
  void compare(const TensorList& weights) {
    for (std::size_t i = 0; i < versions_.size() && !written_; ++i)
      if (weights[i]._version() != versions_[i]) written_ = i;
  }
  // The index of a weight tensor written from outside, if one was.
  std::optional<std::size_t> written() const { return written_; }

 private:
  std::vector<int64_t> versions_;
  std::optional<std::size_t> written_;
};

}  // namespace hpo::hypergrad
