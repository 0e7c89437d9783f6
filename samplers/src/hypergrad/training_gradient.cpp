#include "hpo/hypergrad/training_gradient.hpp"

#include <cmath>
#include <sstream>

#include <torch/autograd.h>

#include "hpo/hypergrad/errors.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {
namespace {

// autograd::grad with allow_unused, returning zeros for inputs the output does not use.
TensorList gradient_or_zeros(const torch::Tensor& output, const TensorList& inputs,
                             bool create_graph) {
  if (!output.requires_grad()) return tensor_list::zeros_like(inputs);
  TensorList grads = torch::autograd::grad({output}, inputs, /*grad_outputs=*/{},
                                           /*retain_graph=*/true, create_graph,
                                           /*allow_unused=*/true);
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) grads[i] = torch::zeros_like(inputs[i]);
  }
  return grads;
}

}  // namespace

ValidationGradient validation_gradient(const Problem& problem, Counters& counters) {
  const torch::Tensor loss = problem.val_loss();
  ValidationGradient result;
  result.loss = loss.item<double>();
  if (!std::isfinite(result.loss)) {
    std::ostringstream message;
    message << "validation loss is not finite (" << result.loss << ")";
    throw NonFiniteError(message.str());
  }
  TensorList inputs = problem.parameters;
  const TensorList theta = thetas(problem);
  inputs.insert(inputs.end(), theta.begin(), theta.end());
  TensorList grads = gradient_or_zeros(loss, inputs, /*create_graph=*/false);
  ++counters.backward_passes;
  const auto split = grads.begin() + static_cast<std::ptrdiff_t>(problem.parameters.size());
  result.v.assign(grads.begin(), split);
  result.d_theta.assign(split, grads.end());
  return result;
}

TrainingGradient::TrainingGradient(const Problem& problem, const Batch& batch, Counters& counters)
    : parameters_(problem.parameters), thetas_(thetas(problem)), counters_(counters) {
  const torch::Tensor loss = problem.train_loss(batch);
  loss_ = loss.item<double>();
  if (loss.requires_grad()) {
    graph_gradient_ = torch::autograd::grad({loss}, parameters_, {}, /*retain_graph=*/true,
                                            /*create_graph=*/true, /*allow_unused=*/true);
  } else {
    graph_gradient_.resize(parameters_.size());
  }
  ++counters_.backward_passes;
  gradient_.reserve(parameters_.size());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    gradient_.push_back(graph_gradient_[i].defined() ? graph_gradient_[i].detach()
                                                     : torch::zeros_like(parameters_[i]));
  }
}

TensorList TrainingGradient::differentiate(const TensorList& q, const TensorList& inputs) {
  torch::Tensor g_dot_q;
  for (size_t i = 0; i < graph_gradient_.size(); ++i) {
    if (!graph_gradient_[i].defined() || !graph_gradient_[i].requires_grad()) continue;
    const torch::Tensor term = (graph_gradient_[i] * q[i].detach()).sum();
    g_dot_q = g_dot_q.defined() ? g_dot_q + term : term;
  }
  ++counters_.backward_passes;
  if (!g_dot_q.defined()) return tensor_list::zeros_like(inputs);
  return gradient_or_zeros(g_dot_q, inputs, /*create_graph=*/false);
}

TensorList TrainingGradient::hessian_vector_product(const TensorList& q) {
  ++counters_.hessian_vector_products;
  return differentiate(q, parameters_);
}

TensorList TrainingGradient::mixed_product(const TensorList& q) { return differentiate(q, thetas_); }

TrainingGradient::Products TrainingGradient::both(const TensorList& q) {
  ++counters_.hessian_vector_products;
  TensorList inputs = parameters_;
  inputs.insert(inputs.end(), thetas_.begin(), thetas_.end());
  TensorList grads = differentiate(q, inputs);
  const auto split = grads.begin() + static_cast<std::ptrdiff_t>(parameters_.size());
  return Products{TensorList(grads.begin(), split), TensorList(split, grads.end())};
}

}  // namespace hpo::hypergrad
