#pragma once

#include <functional>
#include <vector>

#include <torch/types.h>

#include "hpo/hypergrad/hyperparameter.hpp"

namespace hpo::hypergrad {

// Returns a scalar loss built from the current model parameters and Hyperparameter::value()
// (the closure captures both, as a training loop does).
using LossClosure = std::function<torch::Tensor()>;

// The bilevel problem  w*(λ) = argmin_w L_T(w, λ),  minimize_λ L_V(w*(λ), λ).
// Train and validation objectives are separate: a penalty used in training appears in the
// validation loss only if val_loss puts it there.
struct Problem {
  // w: the tensors the inner optimizer trains (requires_grad leaves).
  std::vector<torch::Tensor> parameters;
  // λ: the hyperparameters being refined; they may or may not appear in each closure.
  std::vector<Hyperparameter> hyperparameters;
  // L_T(w, λ) on the next training batch (called once per hyper-step by the implicit
  // methods, once per backward point by DrMAD).
  LossClosure train_loss;
  // L_V(w, λ), usually on a fixed validation set; it need not depend on λ.
  LossClosure val_loss;
};

// Throws hpo::ValueError naming what is missing or inconsistent (no parameters, a
// parameter that does not require grad, duplicate hyperparameter names, empty closures).
void validate(const Problem& problem);

// The θ leaves of all hyperparameters, in order.
std::vector<torch::Tensor> internal_tensors(const Problem& problem);

}  // namespace hpo::hypergrad
