#pragma once

#include <cstdint>
#include <deque>

#include <torch/arg.h>

#include "hpo/hypergrad/method.hpp"

namespace hpo::hypergrad {

struct UnrolledOptions {
  // K: differentiate through the last K inner steps before the hyper-step; 0 means every
  // step since the previous hyper-step.
  TORCH_ARG(int64_t, steps) = 0;
};

// Exact reverse-mode differentiation through the last K SGD-with-momentum steps
// (Maclaurin et al. 2015, with stored rather than reversed weights). It records the
// weights, the velocity and the batch closure of each step — O(K·|w|) memory — and
// replays each step's batch in the reverse pass (~2K backward passes). The reference the
// other methods are checked against, and the one method that also gives the learning-rate
// and momentum hypergradients over K steps.
//
// Replaying needs the batch: drive the inner steps with HyperOptimizer::step(batch_loss),
// whose closure must stay valid (capture the batch by value) until the next hyper-step.
// Needs a torch::optim::SGD inner optimizer.
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
    LossClosure batch_loss;
  };

  UnrolledOptions options_;
  std::deque<RecordedStep> trajectory_;
};

}  // namespace hpo::hypergrad
