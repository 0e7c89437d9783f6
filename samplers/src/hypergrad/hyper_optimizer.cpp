#include "hpo/hypergrad/hyper_optimizer.hpp"

#include <cmath>
#include <sstream>

#include <torch/autograd.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include "hpo/error.hpp"
#include "hpo/hypergrad/errors.hpp"
#include "sgd_dynamics.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {
namespace {

void check_options(const HyperOptimizerOptions& options) {
  if (options.inner_steps() < 1) {
    throw ValueError("inner_steps must be >= 1, got " + std::to_string(options.inner_steps()));
  }
  if (!(options.lr() >= 0)) {
    throw ValueError("hyper learning rate must be >= 0, got " + std::to_string(options.lr()));
  }
  if (!(options.clip_norm() >= 0)) {
    throw ValueError("clip_norm must be >= 0 (0 = off), got " +
                     std::to_string(options.clip_norm()));
  }
}

// df/dθ for a hyperparameter λ = value(θ) given df/dλ (for the learning rate and momentum,
// whose hypergradients the methods give in external units).
torch::Tensor internal_gradient(const Hyperparameter& hyperparameter, double external_gradient) {
  const torch::Tensor value = hyperparameter.value();
  return torch::autograd::grad({value}, {hyperparameter.internal()},
                               {torch::full_like(value, external_gradient)})[0];
}

}  // namespace

HyperUpdate hyper_update_from_name(const std::string& name) {
  if (name == "sgd") return HyperUpdate::SGD;
  if (name == "adam") return HyperUpdate::Adam;
  throw ValueError("unknown hyper-update '" + name + "'; expected sgd or adam");
}

HyperOptimizer::HyperOptimizer(Problem problem, std::shared_ptr<torch::optim::Optimizer> inner,
                               std::unique_ptr<Method> method, HyperOptimizerOptions options)
    : problem_(std::move(problem)),
      inner_(std::move(inner)),
      method_(std::move(method)),
      options_(std::move(options)) {
  validate(problem_);
  if (!inner_) throw ValueError("HyperOptimizer needs an inner optimizer, got none");
  if (!method_) throw ValueError("HyperOptimizer needs a hypergradient method, got none");
  check_options(options_);
  method_->check_inner_optimizer(*inner_);
}

void HyperOptimizer::before_inner_step(const LossClosure& batch_loss) {
  method_->before_inner_step(InnerStepView{problem_, *inner_, batch_loss});
}

void HyperOptimizer::after_inner_step() {
  if (++steps_in_window_ >= options_.inner_steps()) hyper_step();
}

void HyperOptimizer::step() {
  before_inner_step(LossClosure{});
  inner_->step();
  after_inner_step();
}

torch::Tensor HyperOptimizer::step(const LossClosure& batch_loss) {
  if (!batch_loss) throw ValueError("HyperOptimizer::step(batch_loss) got an empty closure");
  before_inner_step(batch_loss);
  inner_->zero_grad();
  const torch::Tensor loss = batch_loss();
  loss.backward();
  inner_->step();
  after_inner_step();
  return loss.detach();
}

void HyperOptimizer::zero_grad() {
  inner_->zero_grad();
  for (torch::Tensor& theta : refined_tensors()) {
    if (theta.grad().defined()) theta.mutable_grad().zero_();
  }
}

std::vector<torch::Tensor> HyperOptimizer::refined_tensors() const {
  std::vector<torch::Tensor> thetas = internal_tensors(problem_);
  if (learning_rate_) thetas.push_back(learning_rate_->internal());
  if (momentum_) thetas.push_back(momentum_->internal());
  return thetas;
}

void HyperOptimizer::check_finite(const HyperGradient& hypergradient) const {
  std::ostringstream where;
  where << " at hyper-step " << hyper_steps_ + 1 << " (method " << method_->name() << ")";
  if (!std::isfinite(hypergradient.validation_loss)) {
    throw NonFiniteError("validation loss is not finite" + where.str());
  }
  for (size_t i = 0; i < hypergradient.hyperparameters.size(); ++i) {
    if (!tensor_list::all_finite({hypergradient.hyperparameters[i]})) {
      throw NonFiniteError("hypergradient of '" + problem_.hyperparameters[i].name() +
                           "' is not finite" + where.str());
    }
  }
  if (hypergradient.learning_rate && !std::isfinite(*hypergradient.learning_rate)) {
    throw NonFiniteError("learning-rate hypergradient is not finite" + where.str());
  }
  if (hypergradient.momentum && !std::isfinite(*hypergradient.momentum)) {
    throw NonFiniteError("momentum hypergradient is not finite" + where.str());
  }
}

double HyperOptimizer::load_gradients(const HyperGradient& hypergradient) {
  std::vector<torch::Tensor> gradients = hypergradient.hyperparameters;
  if (learning_rate_) gradients.push_back(internal_gradient(*learning_rate_, *hypergradient.learning_rate));
  if (momentum_) gradients.push_back(internal_gradient(*momentum_, *hypergradient.momentum));
  const double norm = tensor_list::norm(gradients);
  const double scale = options_.clip_norm() > 0 && norm > options_.clip_norm()
                           ? options_.clip_norm() / norm
                           : 1.0;
  std::vector<torch::Tensor> thetas = refined_tensors();
  for (size_t i = 0; i < thetas.size(); ++i) {
    thetas[i].mutable_grad() = (gradients[i].detach() * scale).to(thetas[i].options());
  }
  return norm;
}

void HyperOptimizer::write_inner_hyperparameters() {
  if (learning_rate_) set_learning_rate(*inner_, learning_rate_->values()[0]);
  if (momentum_) set_momentum(*inner_, momentum_->values()[0]);
}

const HyperGradient& HyperOptimizer::hyper_step() {
  steps_in_window_ = 0;
  HyperGradient hypergradient =
      method_->hypergradient(HyperStepContext{problem_, *inner_, counters_});
  check_finite(hypergradient);

  if (!hyper_optimizer_) {
    if (options_.update() == HyperUpdate::Adam) {
      hyper_optimizer_ = std::make_unique<torch::optim::Adam>(
          refined_tensors(), torch::optim::AdamOptions(options_.lr()));
    } else {
      hyper_optimizer_ = std::make_unique<torch::optim::SGD>(
          refined_tensors(), torch::optim::SGDOptions(options_.lr()));
    }
  }
  const double norm = load_gradients(hypergradient);
  hyper_optimizer_->step();
  for (Hyperparameter& hyperparameter : problem_.hyperparameters) hyperparameter.project();
  if (learning_rate_) learning_rate_->project();
  if (momentum_) momentum_->project();
  write_inner_hyperparameters();

  ++hyper_steps_;
  last_hypergradient_ = std::move(hypergradient);
  if (callback_) {
    callback_(HyperStepReport{hyper_steps_, last_hypergradient_.validation_loss, norm,
                              counters_.hessian_vector_products});
  }
  return last_hypergradient_;
}

void HyperOptimizer::attach_learning_rate(Hyperparameter learning_rate) {
  check_attachable(learning_rate, "learning rate", method_->differentiates_learning_rate());
  learning_rate_ = std::move(learning_rate);
  write_inner_hyperparameters();
}

void HyperOptimizer::attach_momentum(Hyperparameter momentum) {
  check_attachable(momentum, "momentum", method_->differentiates_momentum());
  momentum_ = std::move(momentum);
  write_inner_hyperparameters();
}

void HyperOptimizer::check_attachable(const Hyperparameter& hyperparameter, const char* what,
                                      bool method_differentiates_it) const {
  const std::string prefix = std::string("cannot refine the inner ") + what + ": ";
  if (hyper_optimizer_) throw ValueError(prefix + "attach it before the first hyper-step");
  if (hyperparameter.numel() != 1) {
    throw ValueError(prefix + "hyperparameter '" + hyperparameter.name() +
                     "' must be a scalar, it has " + std::to_string(hyperparameter.numel()) +
                     " elements");
  }
  if (!method_differentiates_it) {
    throw ValueError(prefix + "method '" + method_->name() +
                     "' does not differentiate it (use 'unrolled'" +
                     (std::string(what) == "learning rate" ? " or 't1t2')" : ")"));
  }
  sgd_settings(*inner_, method_->name());
}

void HyperOptimizer::on_hyper_step(std::function<void(const HyperStepReport&)> callback) {
  callback_ = std::move(callback);
}

}  // namespace hpo::hypergrad
