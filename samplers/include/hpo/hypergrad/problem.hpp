#pragma once

#include <functional>
#include <vector>

#include <torch/types.h>

#include "hpo/hypergrad/hyperparameter.hpp"

namespace hpo::hypergrad {

// One training batch as the training loop draws it: whatever tensors the loss needs
// (inputs and targets, row indices...). Full-batch training passes an empty Batch, the same
// tensors every step, or the same rows in a new order each step.
using Batch = std::vector<torch::Tensor>;

// L_T(w, λ) on a given batch. It must depend only on the batch, the current weights and
// λ — no hidden state such as a data iterator — because the trajectory methods evaluate it
// again on recorded batches in their reverse pass.
using BatchLoss = std::function<torch::Tensor(const Batch& batch)>;

// L_V(w, λ), usually on a fixed validation set; it need not depend on λ.
using ValidationLoss = std::function<torch::Tensor()>;

// The bilevel problem  w*(λ) = argmin_w L_T(w, λ),  minimize_λ L_V(w*(λ), λ).
// Train and validation objectives are separate: a penalty used in training appears in the
// validation loss only if val_loss puts it there.
struct Problem {
  // w: the tensors the inner optimizer trains (requires_grad leaves). Left empty, the
  // HyperOptimizer takes them from the inner optimizer's parameter groups.
  std::vector<torch::Tensor> parameters;
  // λ: the hyperparameters being refined; they may or may not appear in each loss.
  std::vector<Hyperparameter> hyperparameters;
  BatchLoss train_loss;
  ValidationLoss val_loss;
  // Whether L_T(·, λ) is convex in w for every λ, with minimizers that all give the same
  // L_V (a linear model with positive L2 penalties; the shift of every bias of a softmax
  // is such a flat direction). Training then reaches the same validation loss from any
  // start and along any path of λ, so a converged point's L_V is what training anew with
  // its λ gives. On any other model (a network) the weights at a converged point depend
  // on how λ moved before it, and hpo::HyperTrial asks for a re-training instead.
  bool convex = false;
};

// Throws hpo::ValueError naming what is missing or inconsistent (no parameters, a
// parameter that does not require grad, duplicate hyperparameter names, empty losses).
void validate(const Problem& problem);

// The θ leaves of all hyperparameters, in order.
std::vector<torch::Tensor> thetas(const Problem& problem);

}  // namespace hpo::hypergrad
