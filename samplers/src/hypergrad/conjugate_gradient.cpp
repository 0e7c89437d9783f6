#include "hpo/hypergrad/conjugate_gradient.hpp"

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
    : options_(std::move(options)), current_tolerance_(options_.tolerance()) {
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
}

Settings ConjugateGradient::settings() const {
  return {{"max_iterations", static_cast<double>(options_.max_iterations())},
          {"tolerance", options_.tolerance()},
          {"tolerance_decay", options_.tolerance_decay()},
          {"warm_start", options_.warm_start() ? 1.0 : 0.0}};
}

Settings ConjugateGradient::diagnostics() const {
  return {{"iterations", static_cast<double>(last_iterations_)},
          {"relative_residual", last_relative_residual_},
          {"curvature_guard_hits", static_cast<double>(curvature_guard_hits_)}};
}

TensorList ConjugateGradient::solve(TrainingGradient& graph, const TensorList& v) {
  const double v_norm = tensor_list::norm(v);
  const double tolerance = current_tolerance_ * v_norm;
  current_tolerance_ *= options_.tolerance_decay();

  const bool warm = options_.warm_start() && same_shapes(previous_solution_, v);
  TensorList q = warm ? previous_solution_ : tensor_list::zeros_like(v);
  TensorList residual = tensor_list::detached_clone(v);
  if (warm) tensor_list::add_scaled(residual, graph.hessian_vector_product(q), -1.0);
  TensorList direction = tensor_list::detached_clone(residual);
  double residual_squared = tensor_list::dot(residual, residual);

  last_iterations_ = 0;
  while (last_iterations_ < options_.max_iterations() && std::sqrt(residual_squared) > tolerance) {
    const TensorList h_direction = graph.hessian_vector_product(direction);
    ++last_iterations_;
    const double curvature = tensor_list::dot(direction, h_direction);
    if (!(curvature > 0)) {
      ++curvature_guard_hits_;
      break;
    }
    const double step = residual_squared / curvature;
    tensor_list::add_scaled(q, direction, step);
    tensor_list::add_scaled(residual, h_direction, -step);
    const double next_residual_squared = tensor_list::dot(residual, residual);
    const double beta = next_residual_squared / residual_squared;
    residual_squared = next_residual_squared;
    for (size_t i = 0; i < direction.size(); ++i) direction[i].mul_(beta).add_(residual[i]);
  }
  last_relative_residual_ = v_norm > 0 ? std::sqrt(residual_squared) / v_norm : 0;
  previous_solution_ = tensor_list::detached_clone(q);
  return q;
}

HyperGradient ConjugateGradient::hypergradient(const HyperStepContext& context) {
  return implicit_hypergradient(context, [&](TrainingGradient& graph, const TensorList& v) {
    return solve(graph, v);
  });
}

}  // namespace hpo::hypergrad
