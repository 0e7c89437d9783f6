#include "sgd_adjoint.hpp"

#include <string>

#include "hpo/error.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {

SgdAdjoint::SgdAdjoint(const ValidationGradient& validation)
    : dw_(tensor_list::detached_clone(validation.v)),
      dv_(tensor_list::zeros_like(validation.v)),
      dtheta_(tensor_list::detached_clone(validation.d_theta)) {}

void SgdAdjoint::reverse_step(TrainingGradient& graph, const SgdSettings& sgd, const TensorList* velocity_before) {
  if (velocity_before != nullptr) {
    TensorList velocity_after = tensor_list::scaled(*velocity_before, sgd.momentum);
    tensor_list::add_scaled(velocity_after, graph.gradient(), 1.0);
    deta_ -= tensor_list::dot(dw_, velocity_after);
  }
  tensor_list::add_scaled(dv_, dw_, -sgd.learning_rate);
  if (velocity_before != nullptr) dmu_ += tensor_list::dot(dv_, *velocity_before);

  const TrainingGradient::Products products = graph.both(dv_);
  tensor_list::add_scaled(dw_, products.hessian, 1.0);
  tensor_list::add_scaled(dtheta_, products.mixed, 1.0);
  for (torch::Tensor& d : dv_) d.mul_(sgd.momentum);
}

void throw_if_empty_window(const std::string& method, int64_t steps) {
  if (steps > 0) return;
  throw ValueError(method + ": a hyper-step needs at least one inner step since the previous one to "
                   "differentiate, got none (call step() before hyper_step())");
}

ScopedWeights::ScopedWeights(TensorList parameters)
    : parameters_(std::move(parameters)), original_(tensor_list::detached_clone(parameters_)) {}

ScopedWeights::~ScopedWeights() { set(original_); }

void ScopedWeights::set(const TensorList& weights) {
  const torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) parameters_[i].copy_(weights[i]);
}

}  // namespace hpo::hypergrad
