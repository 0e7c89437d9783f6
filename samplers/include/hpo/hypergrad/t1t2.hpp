#pragma once

#include "hpo/hypergrad/method.hpp"

namespace hpo::hypergrad {

// T1-T2 has no options; the type names the method in MethodOptions.
struct T1T2Options {};

// T1-T2 (Luketina et al. 2016): differentiate only the last SGD step,
//   w' = w − η ∇_w L_T(w, λ)  ⇒  df/dθ ≈ ∂L_V/∂θ − η Jᵀ ∇_w L_V,
// i.e. q = η v, the Neumann series with K = 0 scaled by the inner learning rate η.
// Cheap (~3 backward passes) but greedy: it ignores how λ shaped the weights before the
// last step. It also gives the learning-rate hypergradient df/dη = −∇_w L_V · ∇_w L_T of
// hypergradient descent (Baydin et al. 2018). Needs a torch::optim::SGD inner optimizer
// (η is read from it). There are no options.
class T1T2 final : public Method {
 public:
  std::string name() const override { return "t1t2"; }
  Settings settings() const override { return {}; }
  void check_inner_optimizer(const torch::optim::Optimizer& inner) const override;
  bool differentiates_learning_rate() const override { return true; }
  HyperGradient hypergradient(const HyperStepContext& context) override;
};

}  // namespace hpo::hypergrad
