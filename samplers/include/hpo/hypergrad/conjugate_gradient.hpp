#pragma once

#include <cstdint>

#include <torch/arg.h>

#include "hpo/hypergrad/method.hpp"

namespace hpo::hypergrad {

struct ConjugateGradientOptions {
  // Iteration cap per hyper-step (each iteration is one Hessian-vector product).
  TORCH_ARG(int64_t, max_iterations) = 20;
  // HOAG tolerance schedule (Pedregosa 2016): at hyper-step k, stop when
  // ‖Hq − v‖ ≤ tolerance · tolerance_decay^k · ‖v‖. A geometric decay is summable, which
  // is what HOAG's convergence proof asks of the inexact hypergradients.
  TORCH_ARG(double, tolerance) = 1e-2;
  TORCH_ARG(double, tolerance_decay) = 0.9;
  // Start from the previous hyper-step's q (one extra product for the initial residual;
  // it pays off because w and λ change little between hyper-steps).
  TORCH_ARG(bool, warm_start) = true;
};

// Implicit differentiation solving H q = v by conjugate gradient (HOAG). CG assumes H
// positive definite; at a direction with p·Hp ≤ 0 (a saddle or a maximum of L_T) it stops
// with the iterate it has, counts the event, and the hyper-step goes on with that q.
// Cost ~iterations+3 backward passes.
class ConjugateGradient final : public Method {
 public:
  explicit ConjugateGradient(ConjugateGradientOptions options = {});

  std::string name() const override { return "cg"; }
  Settings settings() const override;
  // iterations and relative_residual of the last solve, curvature_guard_hits so far.
  Settings diagnostics() const override;
  HyperGradient hypergradient(const HyperStepContext& context) override;

  const ConjugateGradientOptions& options() const { return options_; }
  int64_t curvature_guard_hits() const { return curvature_guard_hits_; }
  int64_t last_iterations() const { return last_iterations_; }
  double last_relative_residual() const { return last_relative_residual_; }

 private:
  TensorList solve(TrainingGradient& graph, const TensorList& v);

  ConjugateGradientOptions options_;
  TensorList previous_solution_;
  double current_tolerance_;
  int64_t curvature_guard_hits_ = 0;
  int64_t last_iterations_ = 0;
  double last_relative_residual_ = 0;
};

}  // namespace hpo::hypergrad
