#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "hpo/hypergrad/problem.hpp"

namespace hpo::hypergrad {

using TensorList = std::vector<torch::Tensor>;

// What a hyper-step cost, in the units of the README's table of methods. A backward pass is
// one reverse sweep (building g, one Hessian-vector product, the validation gradient...).
struct Counters {
  int64_t hessian_vector_products = 0;
  int64_t backward_passes = 0;
};

// ∇_w L_V and ∂L_V/∂θ at the current weights, from one backward pass. Throws
// NonFiniteError when L_V is NaN or infinite. A hyperparameter that L_V does not use gets
// a zero direct term.
struct ValidationGradient {
  double loss = 0;
  TensorList v;        // ∇_w L_V, one per model parameter
  TensorList d_theta;  // ∂L_V/∂θ, one per hyperparameter
};
ValidationGradient validation_gradient(const Problem& problem, Counters& counters);

// g = ∇_w L_T(w, λ) built once with create_graph, then reused for every second-order
// product of the hyper-step. Rebuilding the training graph per product would multiply
// the cost of every method by its number of products.
//
// Parameters or hyperparameters that the batch does not use contribute zeros.
class TrainingGradient {
 public:
  // Evaluates the problem's training loss on `batch` once, at the current weights.
  TrainingGradient(const Problem& problem, const Batch& batch, Counters& counters);

  // g itself, detached.
  const TensorList& gradient() const { return gradient_; }
  double loss() const { return loss_; }

  // H q = ∂(g·q)/∂w.
  TensorList hessian_vector_product(const TensorList& q);
  // Jᵀq = ∂(g·q)/∂θ, one tensor per hyperparameter.
  TensorList mixed_product(const TensorList& q);

  struct Products {
    TensorList hessian;  // H q
    TensorList mixed;    // Jᵀq
  };
  // Both from a single backward pass (what the reverse-mode methods need at each point).
  Products both(const TensorList& q);

 private:
  TensorList differentiate(const TensorList& q, const TensorList& inputs);

  TensorList parameters_;
  TensorList thetas_;
  TensorList graph_gradient_;  // g with its graph (undefined where w is unused)
  TensorList gradient_;        // g detached, zeros where w is unused
  double loss_ = 0;
  Counters& counters_;
};

}  // namespace hpo::hypergrad
