#pragma once

#include <cstdint>
#include <deque>

#include <torch/arg.h>

#include "hpo/hypergrad/method.hpp"
#include "hpo/hypergrad/sgd_settings.hpp"

namespace hpo::hypergrad {

struct UnrolledOptions {
  // K: differentiate through the last K inner steps before the hyper-step; 0 means every
  // step since the previous hyper-step. Hyper-steps wait for a stationary inner problem,
  // so a window can be hundreds of steps long: the cap bounds memory at K weight copies.
  TORCH_ARG(int64_t, steps) = 50;
};

// Exact reverse-mode differentiation through the last K SGD-with-momentum steps
// (Maclaurin et al. 2015, with stored rather than reversed weights). It records the
// weights, the velocity and the batch of each step — O(K·|w|) memory — and evaluates the
// problem's training loss on each recorded batch again in the reverse pass (~2K backward
// passes). The reference the other methods are checked against, and the one method that
// also gives the learning-rate and momentum hypergradients over K steps. Needs a
// torch::optim::SGD inner optimizer.
class Unrolled final : public Method {
 public:
  explicit Unrolled(UnrolledOptions options = {});

  std::string name() const override { return "unrolled"; }
  Settings settings() const override;
  void check_inner_optimizer(const torch::optim::Optimizer& inner) const override;
  bool differentiates_learning_rate() const override { return true; }
  bool differentiates_momentum() const override { return true; }
  void before_inner_step(const InnerStepView& step) override;
  HyperGradient hypergradient(const HyperStepContext& context) override;

  const UnrolledOptions& options() const { return options_; }

 private:
  struct RecordedStep {
    TensorList weights;   // w_t
    TensorList velocity;  // v_t
    Batch batch;
    SgdSettings sgd;      // η_t, μ_t
  };

  UnrolledOptions options_;
  std::deque<RecordedStep> trajectory_;
};

}  // namespace hpo::hypergrad
