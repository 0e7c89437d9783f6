#pragma once

// Reading and writing the state of a torch::optim::SGD inner optimizer (internal helper).
// T1-T2, DrMAD and the unrolled method differentiate the update
//   v ← μ v + ∇_w L_T(w, λ),   w ← w − η v
// which is exactly what torch::optim::SGD does when dampening, Nesterov and its own
// weight decay are off.

#include <string>

#include <torch/optim/sgd.h>

#include "hpo/hypergrad/sgd_settings.hpp"
#include "hpo/hypergrad/training_gradient.hpp"

namespace hpo::hypergrad {

// The settings of `inner`, or hpo::ValueError naming `method` and what is wrong when it is
// not such an SGD (another optimizer, dampening, Nesterov, weight decay, groups that
// disagree on η or μ).
SgdSettings sgd_settings(const torch::optim::Optimizer& inner, const std::string& method);

// Whether `inner` is a torch::optim::SGD at all.
bool is_sgd(const torch::optim::Optimizer& inner);

// The velocity v of each parameter (zeros before the first step or without momentum).
TensorList momentum_buffers(const torch::optim::Optimizer& inner, const TensorList& parameters);

// Writes η or μ into every parameter group of an SGD inner optimizer.
void set_learning_rate(torch::optim::Optimizer& inner, double learning_rate);
void set_momentum(torch::optim::Optimizer& inner, double momentum);

}  // namespace hpo::hypergrad
