#include "implicit_method.hpp"

#include <algorithm>

namespace hpo::hypergrad {

HyperGradient implicit_hypergradient(const HyperStepContext& context, const Solver& solve) {
  const ValidationGradient validation = validation_gradient(context.problem, context.counters);
  TrainingGradient graph(context.problem, context.batch, context.counters);
  const TensorList q = solve(graph, validation.v);
  const TensorList mixed = graph.mixed_product(q);

  HyperGradient result;
  result.validation_loss = validation.loss;
  for (size_t i = 0; i < mixed.size(); ++i) result.d_theta.push_back(validation.d_theta[i] - mixed[i]);
  return result;
}

double raised_damping(double damping, double negative_curvature, double largest_curvature) {
  return std::max(2 * damping, -negative_curvature + 1e-2 * std::max(largest_curvature, 1e-12));
}

}  // namespace hpo::hypergrad
