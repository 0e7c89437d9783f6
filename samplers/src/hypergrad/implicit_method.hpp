#pragma once

// The implicit-function-theorem skeleton shared by T1-T2, Neumann and CG (internal):
//   hypergradient = ∂L_V/∂θ − Jᵀq,  q ≈ H⁻¹ ∇_w L_V,
// with v = ∇_w L_V, the training gradient graph built once, and `solve` choosing q.

#include <functional>

#include "hpo/hypergrad/method.hpp"

namespace hpo::hypergrad {

using Solver = std::function<TensorList(TrainingGradient& graph, const TensorList& v)>;

HyperGradient implicit_hypergradient(const HyperStepContext& context, const Solver& solve);

// How often one hyper-step may raise δ and solve again.
constexpr int kMaxDampingRaises = 4;

// The δ to solve with after a direction where H + δI has curvature h + δ ≤ 0 (h: the
// Rayleigh quotient of H there): past −h by a share of the largest curvature seen, so the
// operator is comfortably positive definite along it, and at least twice δ, so that a few
// raises always end the search.
double raised_damping(double damping, double negative_curvature, double largest_curvature);

}  // namespace hpo::hypergrad
