#include "hpo/hypergrad/neumann.hpp"

#include <algorithm>
#include <optional>
#include <sstream>

#include "hpo/error.hpp"
#include "hpo/hypergrad/errors.hpp"
#include "implicit_method.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {
namespace {

// With α·λ_max < 2 on a positive definite H no term of the series is longer than v. On a
// non-convex loss, mild negative curvature makes terms grow slowly, which a truncated
// series tolerates (as in Lorraine et al.); a term ten times longer than v means the sum is
// dominated by growth, and we call that divergence.
constexpr double kDivergenceFactor = 10;
// Power-iteration steps when λ_max must be known (no α given, or growth seen), even if
// the first-step check was switched off.
constexpr int64_t kMinimumRecheckIterations = 10;

// Largest-magnitude eigenvalue of H among the directions v excites (the only ones the
// series sees), as the Rayleigh quotient after power iteration started from v.
double estimate_lambda_max(TrainingGradient& graph, const TensorList& v, int64_t iterations) {
  const double v_norm = tensor_list::norm(v);
  if (v_norm == 0) return 0;
  TensorList b = tensor_list::scaled(v, 1.0 / v_norm);
  double rayleigh = 0;
  for (int64_t i = 0; i < iterations; ++i) {
    const TensorList hb = graph.hessian_vector_product(b);
    rayleigh = tensor_list::dot(b, hb);
    const double hb_norm = tensor_list::norm(hb);
    if (hb_norm == 0) return 0;
    b = tensor_list::scaled(hb, 1.0 / hb_norm);
  }
  return rayleigh;
}

// α Σ_{j=0..K} (I − α(H + δI))^j v, or nothing when it diverges.
std::optional<TensorList> neumann_series(TrainingGradient& graph, const TensorList& v,
                                         double alpha, double damping, int64_t terms) {
  TensorList term = tensor_list::detached_clone(v);
  TensorList sum = tensor_list::detached_clone(v);
  const double limit = kDivergenceFactor * tensor_list::norm(v);
  for (int64_t j = 0; j < terms; ++j) {
    const TensorList product = graph.hessian_vector_product(term);
    for (torch::Tensor& t : term) t.mul_(1 - alpha * damping);
    tensor_list::add_scaled(term, product, -alpha);
    if (!(tensor_list::norm(term) <= limit)) return std::nullopt;
    tensor_list::add_scaled(sum, term, 1.0);
  }
  return tensor_list::scaled(sum, alpha);
}

}  // namespace

Neumann::Neumann(NeumannOptions options) : options_(std::move(options)) {
  if (options_.terms() < 0) {
    throw ValueError("neumann: terms must be >= 0, got " + std::to_string(options_.terms()));
  }
  if (options_.alpha() && !(*options_.alpha() > 0)) {
    throw ValueError("neumann: alpha must be > 0, got " + std::to_string(*options_.alpha()));
  }
  if (!(options_.damping() >= 0)) {
    throw ValueError("neumann: damping must be >= 0, got " + std::to_string(options_.damping()));
  }
  if (options_.power_iterations() < 0) {
    throw ValueError("neumann: power_iterations must be >= 0, got " +
                     std::to_string(options_.power_iterations()));
  }
}

int64_t Neumann::recheck_iterations() const {
  return std::max(options_.power_iterations(), kMinimumRecheckIterations);
}

Settings Neumann::settings() const {
  Settings result{{"terms", static_cast<double>(options_.terms())}};
  if (options_.alpha()) result.emplace_back("alpha", *options_.alpha());
  result.emplace_back("power_iterations", static_cast<double>(options_.power_iterations()));
  result.emplace_back("adapt_alpha", options_.adapt_alpha() ? 1.0 : 0.0);
  result.emplace_back("damping", options_.damping());
  return result;
}

Settings Neumann::diagnostics() const {
  return {{"alpha", alpha_},
          {"lambda_max", lambda_max_},
          {"divergences", static_cast<double>(divergences_)},
          {"alpha_adaptations", static_cast<double>(alpha_adaptations_)}};
}

void Neumann::check_alpha(double lambda_max, const char* why) {
  lambda_max_ = lambda_max;
  if (lambda_max <= 0 || alpha_ * lambda_max < 2) return;
  std::ostringstream message;
  message << "neumann: " << why << ": power iteration estimates lambda_max(H) = " << lambda_max
          << ", so alpha * lambda_max = " << alpha_ * lambda_max << " >= 2 with alpha = " << alpha_;
  if (!options_.adapt_alpha()) {
    message << "; the series diverges: lower alpha or enable adapt_alpha";
    throw DivergenceError(message.str());
  }
  alpha_ = 1.0 / lambda_max;
  ++alpha_adaptations_;
  // An alpha the user gave was wrong, and they should hear it. One chosen here from an
  // earlier estimate is expected to adapt as training sharpens the curvature (an MLP's
  // grows for thousands of steps); diagnostics() counts those adaptations.
  if (!options_.alpha()) return;
  message << "; alpha adapted to " << alpha_;
  TORCH_WARN(message.str());
}

void Neumann::choose_alpha(TrainingGradient& graph, const TensorList& v) {
  if (alpha_ > 0) return;  // already chosen (and possibly adapted) at an earlier hyper-step
  if (options_.alpha()) {
    alpha_ = *options_.alpha();
    if (options_.power_iterations() > 0) {
      check_alpha(estimate_lambda_max(graph, v, options_.power_iterations()) + options_.damping(),
                  "first hyper-step check");
    }
    return;
  }
  // Not the inner learning rate: under momentum μ, SGD's effective step is η/(1 − μ), ten
  // times η at μ = 0.9, and neither says how far the series may step. 1/λ_max does.
  lambda_max_ = estimate_lambda_max(graph, v, recheck_iterations()) + options_.damping();
  if (!(lambda_max_ > 0)) {
    ++divergences_;
    std::ostringstream message;
    message << "neumann: the curvature estimate along the validation gradient is " << lambda_max_
            << " <= 0, so no step size alpha makes the series converge (set damping, or use 'cg')";
    throw DivergenceError(message.str());
  }
  alpha_ = 1.0 / lambda_max_;
}

TensorList Neumann::solve(TrainingGradient& graph, const TensorList& v) {
  choose_alpha(graph, v);
  std::optional<TensorList> q = neumann_series(graph, v, alpha_, options_.damping(), options_.terms());
  if (q) return *q;

  ++divergences_;
  const double alpha_before = alpha_;
  check_alpha(estimate_lambda_max(graph, v, recheck_iterations()) + options_.damping(), "a series term grew");
  if (alpha_ != alpha_before) q = neumann_series(graph, v, alpha_, options_.damping(), options_.terms());
  if (!q) {
    std::ostringstream message;
    message << "neumann: a series term grew past " << kDivergenceFactor
            << " times the validation gradient with alpha = " << alpha_
            << " (curvature estimate " << lambda_max_
            << "); the Hessian is not positive definite along it (set damping, or use 'cg', "
               "which guards against this)";
    throw DivergenceError(message.str());
  }
  return *q;
}

HyperGradient Neumann::hypergradient(const HyperStepContext& context) {
  return implicit_hypergradient(context, [&](TrainingGradient& graph, const TensorList& v) {
    return solve(graph, v);
  });
}

}  // namespace hpo::hypergrad
