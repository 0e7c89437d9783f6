#pragma once

#include <cstdint>
#include <optional>

#include <torch/arg.h>

#include "hpo/hypergrad/method.hpp"

namespace hpo::hypergrad {

struct NeumannOptions {
  // K: q = α Σ_{j=0..K} (I − αH)^j v, i.e. K Hessian-vector products. With α = 1/λ_max
  // the error shrinks like (1 − 1/κ)^(K+1) for condition number κ: use CG when κ is large.
  TORCH_ARG(int64_t, terms) = 50;
  // α; unset means 1/λ_max(H + δI) from power iteration, whatever the inner optimizer.
  TORCH_ARG(std::optional<double>, alpha);
  // Power-iteration steps for the λ_max(H) estimate, made at the first hyper-step and
  // again when the series is seen to grow. 0 skips the first-step check.
  TORCH_ARG(int64_t, power_iterations) = 10;
  // When α·λ_max ≥ 2 the series diverges: with adapt_alpha, α becomes 1/λ_max (with a
  // warning when α was given, counted in diagnostics() either way); without it a
  // DivergenceError is thrown.
  TORCH_ARG(bool, adapt_alpha) = true;
  // δ ≥ 0: the series inverts H + δI, which a non-convex loss needs to converge at all.
  TORCH_ARG(double, damping) = 0;
  // When a term grows along a direction where H + δI has curvature ≤ 0 (a saddle of L_T, as
  // on any MLP), raise δ past it and sum again (at most a few times per hyper-step),
  // instead of failing the trial. δ stays raised for later hyper-steps, as in CG.
  TORCH_ARG(bool, adaptive_damping) = true;
};

// Implicit differentiation with a truncated Neumann series for H⁻¹ (Lorraine et al.
// 2020). q equals what differentiating K+1 SGD steps of rate α from a stationary point
// gives, and converges to H⁻¹v iff α·λ_max(H) < 2 for a positive definite H; then no term
// is longer than v. A term ten times longer than v is taken as divergence and counted; the
// curvature along that term says why. Negative curvature raises δ (adaptive_damping) or
// throws DivergenceError; positive curvature means α is too large: λ_max is estimated
// again and α adapted (or DivergenceError thrown). Cost ~K+3 backward passes, K more per
// retry.
class Neumann final : public Method {
 public:
  explicit Neumann(NeumannOptions options = {});

  std::string name() const override { return "neumann"; }
  bool assumes_stationary_point() const override { return true; }
  Settings settings() const override;
  // alpha (in use), lambda_max (the last estimate of H's largest curvature, 0 if none),
  // divergences, alpha_adaptations, damping (δ in use), damping_raises.
  Settings diagnostics() const override;
  HyperGradient hypergradient(const HyperStepContext& context) override;

  const NeumannOptions& options() const { return options_; }
  // The α of the last hyper-step (0 before the first).
  double alpha() const { return alpha_; }
  int64_t divergences() const { return divergences_; }

 private:
  TensorList solve(TrainingGradient& graph, const TensorList& v);
  void choose_alpha(TrainingGradient& graph, const TensorList& v);
  // Records λ_max(H); when α·(λ_max + δ) ≥ 2, adapts α or throws DivergenceError.
  void check_alpha(double lambda_max, const char* why);
  // After a term grew along a direction of curvature h + δ ≤ 0: raises δ past it.
  void raise_damping(double negative_curvature);
  // 1/(λ_max + δ): the step that keeps every term of the series from growing.
  double fitted_alpha() const { return 1.0 / (lambda_max_ + damping_); }
  int64_t recheck_iterations() const;

  NeumannOptions options_;
  double alpha_ = 0;
  double lambda_max_ = 0;
  double damping_;
  int64_t divergences_ = 0;
  int64_t alpha_adaptations_ = 0;
  int64_t damping_raises_ = 0;
};

}  // namespace hpo::hypergrad
