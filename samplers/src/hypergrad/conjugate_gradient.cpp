#include "hpo/hypergrad/conjugate_gradient.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hpo/error.hpp"
#include "implicit_method.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {
namespace {

bool same_shapes(const TensorList& a, const TensorList& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].sizes().equals(b[i].sizes())) return false;
  }
  return true;
}

}  // namespace

ConjugateGradient::ConjugateGradient(ConjugateGradientOptions options)
    : options_(std::move(options)), current_tolerance_(options_.tolerance()), damping_(options_.damping()) {
  if (options_.max_iterations() < 1) {
    throw ValueError("cg: max_iterations must be >= 1, got " +
                     std::to_string(options_.max_iterations()));
  }
  if (!(options_.tolerance() > 0)) {
    throw ValueError("cg: tolerance must be > 0, got " + std::to_string(options_.tolerance()));
  }
  if (!(options_.tolerance_decay() > 0 && options_.tolerance_decay() <= 1)) {
    throw ValueError("cg: tolerance_decay must be in (0, 1], got " +
                     std::to_string(options_.tolerance_decay()));
  }
  if (!(options_.damping() >= 0)) {
    throw ValueError("cg: damping must be >= 0, got " + std::to_string(options_.damping()));
  }
}

Settings ConjugateGradient::settings() const {
  return {{"max_iterations", static_cast<double>(options_.max_iterations())},
          {"tolerance", options_.tolerance()},
          {"tolerance_decay", options_.tolerance_decay()},
          {"warm_start", options_.warm_start() ? 1.0 : 0.0},
          {"damping", options_.damping()},
          {"adaptive_damping", options_.adaptive_damping() ? 1.0 : 0.0}};
}

Settings ConjugateGradient::diagnostics() const {
  return {{"iterations", static_cast<double>(last_iterations_)},
          {"relative_residual", last_relative_residual_},
          {"curvature_guard_hits", static_cast<double>(curvature_guard_hits_)},
          {"damping", damping_}};
}

// One CG run on (H + δI) q = v from `q`, reading the device once per iteration: the step
// is computed there, and a direction of non-positive curvature gets step 0 (it is then
// reported, not applied).
ConjugateGradient::Attempt ConjugateGradient::attempt(TrainingGradient& graph, const TensorList& v, TensorList q,
                                                      double tolerance) {
  auto apply = [&](const TensorList& p) {
    TensorList product = graph.hessian_vector_product(p);
    if (damping_ > 0) tensor_list::add_scaled(product, p, damping_);
    return product;
  };
  TensorList residual = tensor_list::detached_clone(v);
  if (tensor_list::norm(q) > 0) tensor_list::add_scaled(residual, apply(q), -1.0);
  TensorList direction = tensor_list::detached_clone(residual);
  torch::Tensor residual_squared = tensor_list::dot_on_device(residual, residual);
  double residual_norm = std::sqrt(residual_squared.item<double>());

  while (last_iterations_ < options_.max_iterations() && residual_norm > tolerance) {
    const TensorList h_direction = apply(direction);
    ++last_iterations_;
    const torch::Tensor curvature = tensor_list::dot_on_device(direction, h_direction);
    const torch::Tensor step = torch::where(curvature > 0, residual_squared / curvature, torch::zeros_like(curvature));
    tensor_list::add_scaled(q, direction, step);
    tensor_list::add_scaled(residual, h_direction, -step);
    const torch::Tensor next_residual_squared = tensor_list::dot_on_device(residual, residual);
    const torch::Tensor read =
        torch::stack({curvature, next_residual_squared, tensor_list::dot_on_device(direction, direction)}).cpu();
    const double curvature_value = read[0].item<double>();
    const double rayleigh = curvature_value / read[2].item<double>();
    if (!(curvature_value > 0)) return Attempt{std::move(q), residual_norm, rayleigh - damping_};
    largest_curvature_ = std::max(largest_curvature_, rayleigh);
    const torch::Tensor beta = next_residual_squared / residual_squared;
    residual_squared = next_residual_squared;
    residual_norm = std::sqrt(read[1].item<double>());
    for (size_t i = 0; i < direction.size(); ++i) direction[i].mul_(beta.to(direction[i].scalar_type())).add_(residual[i]);
  }
  return Attempt{std::move(q), residual_norm, std::nullopt};
}

TensorList ConjugateGradient::solve(TrainingGradient& graph, const TensorList& v) {
  const double v_norm = tensor_list::norm(v);
  const double tolerance = current_tolerance_ * v_norm;
  current_tolerance_ *= options_.tolerance_decay();
  last_iterations_ = 0;

  const bool warm = options_.warm_start() && same_shapes(previous_solution_, v);
  Attempt result = attempt(graph, v, warm ? previous_solution_ : tensor_list::zeros_like(v), tolerance);
  for (int raises = 0; result.negative_curvature; ++raises) {
    ++curvature_guard_hits_;
    if (!options_.adaptive_damping() || raises == kMaxDampingRaises) break;
    damping_ = raised_damping(damping_, *result.negative_curvature, largest_curvature_);
    result = attempt(graph, v, tensor_list::zeros_like(v), tolerance);
  }
  last_relative_residual_ = v_norm > 0 ? result.residual_norm / v_norm : 0;
  previous_solution_ = tensor_list::detached_clone(result.q);
  return result.q;
}

HyperGradient ConjugateGradient::hypergradient(const HyperStepContext& context) {
  return implicit_hypergradient(context, [&](TrainingGradient& graph, const TensorList& v) {
    return solve(graph, v);
  });
}

}  // namespace hpo::hypergrad
