#include "hpo/hypergrad/neumann.hpp"

#include <algorithm>
#include <cmath>
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
// series sees), as the magnitude of the Rayleigh quotient after power iteration started
// from v. When that eigenvalue is negative the series grows along it, which solve() sees.
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
  return std::abs(rayleigh);
}

double rayleigh_quotient(TrainingGradient& graph, const TensorList& x) {
  return tensor_list::dot(x, graph.hessian_vector_product(x)) / tensor_list::dot(x, x);
}

// α Σ_{j=0..K} (I − α(H + δI))^j v, or the first term that grew too long.
struct Series {
  std::optional<TensorList> sum;
  TensorList grown_term;
};

Series neumann_series(TrainingGradient& graph, const TensorList& v, double alpha, double damping, int64_t terms) {
  TensorList term = tensor_list::detached_clone(v);
  TensorList sum = tensor_list::detached_clone(v);
  const double limit = kDivergenceFactor * tensor_list::norm(v);
  for (int64_t j = 0; j < terms; ++j) {
    const TensorList product = graph.hessian_vector_product(term);
    for (torch::Tensor& t : term) t.mul_(1 - alpha * damping);
    tensor_list::add_scaled(term, product, -alpha);
    if (!(tensor_list::norm(term) <= limit)) return Series{std::nullopt, std::move(term)};
    tensor_list::add_scaled(sum, term, 1.0);
  }
  return Series{tensor_list::scaled(sum, alpha), {}};
}

}  // namespace

Neumann::Neumann(NeumannOptions options) : options_(std::move(options)), damping_(options_.damping()) {
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
  result.emplace_back("adaptive_damping", options_.adaptive_damping() ? 1.0 : 0.0);
  return result;
}

Settings Neumann::diagnostics() const {
  return {{"alpha", alpha_},
          {"lambda_max", lambda_max_},
          {"divergences", static_cast<double>(divergences_)},
          {"alpha_adaptations", static_cast<double>(alpha_adaptations_)},
          {"damping", damping_},
          {"damping_raises", static_cast<double>(damping_raises_)}};
}

void Neumann::check_alpha(double lambda_max, const char* why) {
  lambda_max_ = lambda_max;
  if (lambda_max <= 0 || alpha_ * (lambda_max + damping_) < 2) return;
  std::ostringstream message;
  message << "neumann: " << why << ": power iteration estimates lambda_max(H) = " << lambda_max
          << ", so alpha * (lambda_max + damping) = " << alpha_ * (lambda_max + damping_)
          << " >= 2 with alpha = " << alpha_ << ", damping = " << damping_;
  if (!options_.adapt_alpha()) {
    message << "; the series diverges: lower alpha or enable adapt_alpha";
    throw DivergenceError(message.str());
  }
  alpha_ = fitted_alpha();
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
      check_alpha(estimate_lambda_max(graph, v, options_.power_iterations()), "first hyper-step check");
    }
    return;
  }
  // Not the inner learning rate: under momentum μ, SGD's effective step is η/(1 − μ), ten
  // times η at μ = 0.9, and neither says how far the series may step. 1/λ_max does.
  lambda_max_ = estimate_lambda_max(graph, v, recheck_iterations());
  if (!(lambda_max_ + damping_ > 0)) {
    ++divergences_;
    throw DivergenceError(
        "neumann: H has no curvature along the validation gradient, so nothing sets the step size alpha "
        "(give alpha or damping)");
  }
  alpha_ = fitted_alpha();
}

void Neumann::raise_damping(double negative_curvature) {
  damping_ = raised_damping(damping_, negative_curvature, lambda_max_);
  ++damping_raises_;
  // An α chosen here follows δ; a given one is kept unless it is now too large.
  if (options_.alpha()) {
    check_alpha(lambda_max_, "damping raised");
  } else {
    alpha_ = fitted_alpha();
  }
}

TensorList Neumann::solve(TrainingGradient& graph, const TensorList& v) {
  choose_alpha(graph, v);
  for (int retries = 0;; ++retries) {
    Series series = neumann_series(graph, v, alpha_, damping_, options_.terms());
    if (series.sum) return *series.sum;
    ++divergences_;
    // A term grows along eigen-directions where 1 − α(h + δ) lies outside [−1, 1]: h + δ < 0
    // (negative curvature), or α(h + δ) > 2 (α too large). The grown term is dominated by
    // them, so the curvature along it says which.
    const double curvature = rayleigh_quotient(graph, series.grown_term);
    const bool negative = curvature + damping_ <= 0;
    const double alpha_before = alpha_;
    if (retries < kMaxDampingRaises) {
      if (negative && options_.adaptive_damping()) {
        raise_damping(curvature);
        continue;
      }
      if (!negative) {
        check_alpha(estimate_lambda_max(graph, v, recheck_iterations()), "a series term grew");
        if (alpha_ != alpha_before) continue;
      }
    }
    std::ostringstream message;
    message << "neumann: a series term grew past " << kDivergenceFactor
            << " times the validation gradient with alpha = " << alpha_ << " and damping = " << damping_
            << " (curvature " << curvature << " along it, largest curvature estimate " << lambda_max_ << "); ";
    if (negative && !options_.adaptive_damping()) {
      message << "the Hessian is not positive definite along it (set damping, enable adaptive_damping, or use "
                 "'cg')";
    } else {
      message << "adapting alpha and damping did not stop it (use 'cg')";
    }
    throw DivergenceError(message.str());
  }
}

HyperGradient Neumann::hypergradient(const HyperStepContext& context) {
  return implicit_hypergradient(context, [&](TrainingGradient& graph, const TensorList& v) {
    return solve(graph, v);
  });
}

}  // namespace hpo::hypergrad
