#pragma once

#include <cstdint>
#include <optional>

#include <torch/arg.h>

#include "hpo/hypergrad/method.hpp"

namespace hpo::hypergrad {

struct ConjugateGradientOptions {
  // Iteration cap per hyper-step (each iteration is one Hessian-vector product). With the
  // warm start a solve usually needs far fewer; the cap only stops a stalled one.
  TORCH_ARG(int64_t, max_iterations) = 100;
  // Stop when ‖(H + δI)q − v‖ ≤ tolerance · tolerance_decay^k · ‖v‖ at hyper-step k. The
  // error of the hypergradient is that of q, so 1e-3 keeps it near 0.1 % on problems of
  // moderate condition; a decay < 1 gives HOAG's summable schedule (Pedregosa 2016).
  TORCH_ARG(double, tolerance) = 1e-3;
  TORCH_ARG(double, tolerance_decay) = 1.0;
  // Start from the previous hyper-step's q (one extra product for the initial residual;
  // it pays off because w and λ change little between hyper-steps).
  TORCH_ARG(bool, warm_start) = true;
  // δ ≥ 0: solve (H + δI) q = v. A non-convex training loss has directions of negative
  // curvature where CG cannot go on; damping makes the operator positive definite there.
  TORCH_ARG(double, damping) = 0;
  // When a direction with p·(H + δI)p ≤ 0 appears, raise δ past that curvature and solve
  // again (at most a few times per hyper-step), instead of stopping at the first products.
  TORCH_ARG(bool, adaptive_damping) = true;
};

// Implicit differentiation solving (H + δI) q = v by conjugate gradient (HOAG). CG assumes
// a positive definite operator; at a direction with p·Hp ≤ 0 (a saddle or a maximum of
// L_T) it either raises δ and solves again (adaptive_damping) or stops with the iterate it
// has; both are counted in the diagnostics. Cost ~iterations+3 backward passes.
class ConjugateGradient final : public Method {
 public:
  explicit ConjugateGradient(ConjugateGradientOptions options = {});

  std::string name() const override { return "cg"; }
  bool assumes_stationary_point() const override { return true; }
  Settings settings() const override;
  // iterations and relative_residual of the last solve, curvature_guard_hits so far, and
  // the damping δ in use.
  Settings diagnostics() const override;
  HyperGradient hypergradient(const HyperStepContext& context) override;

  const ConjugateGradientOptions& options() const { return options_; }
  int64_t curvature_guard_hits() const { return curvature_guard_hits_; }
  int64_t last_iterations() const { return last_iterations_; }
  double last_relative_residual() const { return last_relative_residual_; }

 private:
  TensorList solve(TrainingGradient& graph, const TensorList& v);
  struct Attempt {
    TensorList q;
    double residual_norm;
    // p·Hp / ‖p‖² at a direction where p·(H + δI)p ≤ 0 (the solve stopped there).
    std::optional<double> negative_curvature;
  };
  Attempt attempt(TrainingGradient& graph, const TensorList& v, TensorList q, double tolerance);

  ConjugateGradientOptions options_;
  TensorList previous_solution_;
  double current_tolerance_;
  double damping_;
  double largest_curvature_ = 0;  // largest p·Hp / ‖p‖² seen: the scale δ is raised against
  int64_t curvature_guard_hits_ = 0;
  int64_t last_iterations_ = 0;
  double last_relative_residual_ = 0;
};

}  // namespace hpo::hypergrad
