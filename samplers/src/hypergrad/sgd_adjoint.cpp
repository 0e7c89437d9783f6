#include "sgd_adjoint.hpp"

#include "tensor_list.hpp"

namespace hpo::hypergrad {

SgdAdjoint::SgdAdjoint(const ValidationGradient& validation, SgdSettings sgd)
    : sgd_(sgd),
      dw_(tensor_list::detached_clone(validation.weights)),
      dv_(tensor_list::zeros_like(validation.weights)),
      dtheta_(tensor_list::detached_clone(validation.hyperparameters)) {}

void SgdAdjoint::reverse_step(TrainingGradient& graph, const TensorList* velocity_before) {
  if (velocity_before != nullptr) {
    TensorList velocity_after = tensor_list::scaled(*velocity_before, sgd_.momentum);
    tensor_list::add_scaled(velocity_after, graph.gradient(), 1.0);
    deta_ -= tensor_list::dot(dw_, velocity_after);
  }
  tensor_list::add_scaled(dv_, dw_, -sgd_.learning_rate);
  if (velocity_before != nullptr) dmu_ += tensor_list::dot(dv_, *velocity_before);

  const TrainingGradient::Products products = graph.both(dv_);
  tensor_list::add_scaled(dw_, products.hessian, 1.0);
  tensor_list::add_scaled(dtheta_, products.mixed, 1.0);
  for (torch::Tensor& d : dv_) d.mul_(sgd_.momentum);
}

ScopedWeights::ScopedWeights(TensorList parameters)
    : parameters_(std::move(parameters)), original_(tensor_list::detached_clone(parameters_)) {}

ScopedWeights::~ScopedWeights() { set(original_); }

void ScopedWeights::set(const TensorList& weights) {
  const torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) parameters_[i].copy_(weights[i]);
}

}  // namespace hpo::hypergrad
