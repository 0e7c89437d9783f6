#pragma once

// The implicit-function-theorem skeleton shared by T1-T2, Neumann and CG (internal):
//   hypergradient = ∂L_V/∂θ − Jᵀq,  q ≈ H⁻¹ ∇_w L_V,
// with v = ∇_w L_V, the training gradient graph built once, and `solve` choosing q.

#include <functional>

#include "hpo/hypergrad/method.hpp"

namespace hpo::hypergrad {

using Solver = std::function<TensorList(TrainingGradient& graph, const TensorList& v)>;

HyperGradient implicit_hypergradient(const HyperStepContext& context, const Solver& solve);

}  // namespace hpo::hypergrad
