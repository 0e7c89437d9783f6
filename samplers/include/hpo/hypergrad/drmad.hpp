#pragma once

#include <cstdint>
#include <deque>

#include <torch/arg.h>

#include "hpo/hypergrad/method.hpp"
#include "hpo/hypergrad/sgd_settings.hpp"

namespace hpo::hypergrad {

struct DrMADOptions {
  // Number of inner steps reversed, from the last one backwards; 0 reverses every step of
  // the window. Fewer points truncate the reverse pass (cheaper, shorter horizon). Hyper-
  // steps wait for a stationary inner problem, so windows can be long: the default caps
  // the cost at ~2 × 50 backward passes.
  TORCH_ARG(int64_t, points) = 50;
  // Keep the window across hyper-steps: it then starts at the first inner step the method
  // saw, and each hypergradient is that of L_V now with respect to λ held through the whole
  // run so far (the greedy steps of an unconverged loop, HyperOptimizerOptions::greedy_horizon).
  TORCH_ARG(bool, keep_window) = false;
};

// DrMAD (Fu et al. 2016): the exact reverse-mode recursion of SGD with momentum (as in
// the unrolled method), but instead of storing the trajectory it keeps only w_0 (start of
// the window) and w_T and evaluates step t at w_0 + (t/T)(w_T − w_0). Memory O(|w|), cost
// ~2 backward passes per point (g, then Hessian-vector and mixed products together). Each
// point's Hessian is taken on the batch of that step (the batches are kept, the weights
// are not). Exact when the trajectory really is that straight line. Needs a
// torch::optim::SGD inner optimizer.
class DrMAD final : public Method {
 public:
  explicit DrMAD(DrMADOptions options = {});

  std::string name() const override { return "drmad"; }
  Settings settings() const override;
  void check_inner_optimizer(const torch::optim::Optimizer& inner) const override;
  void before_inner_step(const InnerStepView& step) override;
  HyperGradient hypergradient(const HyperStepContext& context) override;

  const DrMADOptions& options() const { return options_; }

 private:
  DrMADOptions options_;
  struct RecordedStep {
    Batch batch;
    SgdSettings sgd;  // η_t, μ_t
  };
  TensorList window_start_;        // w_0
  int64_t window_steps_ = 0;       // T
  std::deque<RecordedStep> steps_;  // the window's last `points` inner steps (all when 0)
};

}  // namespace hpo::hypergrad
