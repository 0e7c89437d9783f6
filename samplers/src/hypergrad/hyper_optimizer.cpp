#include "hpo/hypergrad/hyper_optimizer.hpp"

#include <cmath>
#include <sstream>
#include <utility>

#include <torch/autograd.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include "hpo/error.hpp"
#include "hpo/hypergrad/drmad.hpp"
#include "hpo/hypergrad/errors.hpp"
#include "hpo/hypergrad/t1t2.hpp"
#include "sgd_dynamics.hpp"
#include "outside_write_monitor.hpp"
#include "stationarity_monitor.hpp"
#include "tensor_list.hpp"

namespace hpo::hypergrad {
namespace {

void check_options(const HyperOptimizerOptions& options) {
  auto fail = [](const std::string& what, double value) {
    std::ostringstream message;
    message << what << ", got " << value;
    throw ValueError(message.str());
  };
  if (options.inner_steps() < 1) fail("inner_steps must be >= 1", static_cast<double>(options.inner_steps()));
  if (!(options.lr() >= 0)) fail("hyper learning rate must be >= 0", options.lr());
  if (!(options.clip_norm() >= 0)) fail("clip_norm must be >= 0 (0 = off)", options.clip_norm());
  if (!(options.lr_backoff() > 0 && options.lr_backoff() <= 1)) fail("lr_backoff must be in (0, 1]", options.lr_backoff());
  if (!(options.stationarity_tolerance() > 0)) fail("stationarity_tolerance must be > 0", options.stationarity_tolerance());
  if (!(options.stationarity_decay() > 0 && options.stationarity_decay() <= 1))
    fail("stationarity_decay must be in (0, 1]", options.stationarity_decay());
  if (!(options.min_stationarity_tolerance() >= 0))
    fail("min_stationarity_tolerance must be >= 0", options.min_stationarity_tolerance());
  if (!(options.value_tolerance() > 0)) fail("value_tolerance must be > 0", options.value_tolerance());
  if (options.max_hyper_steps() < 0)
    fail("max_hyper_steps must be >= 0 (0 = no limit)", static_cast<double>(options.max_hyper_steps()));
  if (options.greedy_horizon() < 1)
    fail("greedy_horizon must be >= 1 (inner steps)", static_cast<double>(options.greedy_horizon()));
}

// One step: T1-T2. More: DrMAD through the run so far (its window never ends).
std::unique_ptr<Method> make_greedy_method(int64_t horizon) {
  if (horizon == 1) return std::make_unique<T1T2>();
  return std::make_unique<DrMAD>(DrMADOptions().points(horizon).keep_window(true));
}

// df/dθ for a hyperparameter λ = value(θ) given df/dλ (for the learning rate and momentum,
// whose hypergradients the methods give in external units).
torch::Tensor theta_gradient(const Hyperparameter& hyperparameter, double external_gradient) {
  const torch::Tensor value = hyperparameter.value();
  return torch::autograd::grad({value}, {hyperparameter.theta()}, {torch::full_like(value, external_gradient)})[0];
}

TensorList parameter_gradients(const TensorList& parameters) {
  TensorList gradients;
  gradients.reserve(parameters.size());
  for (const torch::Tensor& w : parameters) gradients.push_back(w.grad());
  return gradients;
}

std::vector<torch::Tensor> optimizer_parameters(const torch::optim::Optimizer& inner) {
  std::vector<torch::Tensor> parameters;
  for (const auto& group : inner.param_groups())
    for (const torch::Tensor& w : group.params()) parameters.push_back(w);
  return parameters;
}

}  // namespace

HyperUpdate hyper_update_from_name(const std::string& name) {
  if (name == "sgd") return HyperUpdate::SGD;
  if (name == "adam") return HyperUpdate::Adam;
  throw ValueError("unknown hyper-update '" + name + "'; expected sgd or adam");
}

std::string to_string(HyperUpdate update) { return update == HyperUpdate::SGD ? "sgd" : "adam"; }

HyperOptimizer::HyperOptimizer(Problem problem, std::shared_ptr<torch::optim::Optimizer> inner,
                               std::unique_ptr<Method> method, HyperOptimizerOptions options)
    : problem_(std::move(problem)),
      inner_(std::move(inner)),
      method_(std::move(method)),
      options_(std::move(options)) {
  if (!inner_) throw ValueError("HyperOptimizer needs an inner optimizer, got none");
  if (problem_.parameters.empty()) problem_.parameters = optimizer_parameters(*inner_);
  validate(problem_);
  check_options(options_);
  if (method_) {
    method_->check_inner_optimizer(*inner_);
    if (options_.refine_during_training() && options_.greedy_when_not_stationary() &&
        method_->assumes_stationary_point() && is_sgd(*inner_)) {
      greedy_ = make_greedy_method(options_.greedy_horizon());
    }
    stationarity_ = std::make_unique<StationarityMonitor>(options_.stationarity_tolerance(),
                                                          options_.stationarity_decay(),
                                                          options_.min_stationarity_tolerance(),
                                                          options_.value_tolerance());
    outside_writes_ = std::make_unique<OutsideWriteMonitor>();
  }
}

HyperOptimizer::~HyperOptimizer() = default;

torch::Tensor HyperOptimizer::step(const Batch& batch) {
  if (written_) throw_if_inner_settings_overwritten();
  if (outside_writes_) outside_writes_->compare(problem_.parameters);
  if (method_) method_->before_inner_step(InnerStepView{problem_, *inner_, batch});
  if (greedy_ && !reached_stationary_point_) greedy_->before_inner_step(InnerStepView{problem_, *inner_, batch});
  inner_->zero_grad();
  const torch::Tensor loss = problem_.train_loss(batch);
  loss.backward();
  if (stationarity_) stationarity_->observe(parameter_gradients(problem_.parameters), batch);
  inner_->step();
  ++inner_steps_;
  if (method_) {
    last_batch_ = batch;
    if (options_.refine_during_training() && ++steps_since_check_ >= options_.inner_steps()) check_due();
    outside_writes_->record(problem_.parameters);  // after the hyper-step, which restores the weights in place
  }
  return loss.detach();
}

bool HyperOptimizer::hyper_steps_left() const {
  return options_.max_hyper_steps() == 0 || hyper_steps_ < options_.max_hyper_steps();
}

void HyperOptimizer::check_due() {
  steps_since_check_ = 0;
  const StationarityVerdict verdict = stationarity_->check(hyper_steps_);
  last_gradient_ratio_ = verdict.gradient_ratio;
  reached_stationary_point_ = reached_stationary_point_ || verdict.stationary;
  if (hyper_steps_left()) {
    if (verdict.stationary || !method_->assumes_stationary_point()) {
      take_hyper_step(*method_, verdict);
    } else if (greedy_ && verdict.stalled && !reached_stationary_point_) {
      ++greedy_steps_;
      take_hyper_step(*greedy_, StationarityVerdict{});
    } else {
      ++deferred_checks_;
    }
    return;
  }
  if (verdict.converged) {
    const torch::NoGradGuard no_grad;
    record_point(problem_.val_loss().item<double>(), verdict.sampled);
  }
}

const std::optional<StationaryPoint>& HyperOptimizer::settle() {
  if (stationarity_ && inner_steps_ > 0) {
    const StationarityVerdict verdict = stationarity_->check(hyper_steps_);
    if (verdict.converged) {
      const torch::NoGradGuard no_grad;
      record_point(problem_.val_loss().item<double>(), verdict.sampled);
    }
  }
  return value_point_;
}

bool HyperOptimizer::mini_batches() const { return stationarity_ && stationarity_->batches_vary(); }

std::vector<Hyperparameter> HyperOptimizer::refined() const {
  std::vector<Hyperparameter> all = problem_.hyperparameters;
  if (learning_rate_) all.push_back(*learning_rate_);
  if (momentum_) all.push_back(*momentum_);
  return all;
}

std::vector<torch::Tensor> HyperOptimizer::refined_thetas() const {
  std::vector<torch::Tensor> thetas;
  for (const Hyperparameter& h : refined()) thetas.push_back(h.theta());
  return thetas;
}

void HyperOptimizer::record_point(double validation_loss, bool sampled) {
  if (!std::isfinite(validation_loss)) return;  // hyper_step() reports it; a frozen check just skips
  // A deterministic point is L_V(w*(λ)) itself and the lowest is the best λ; a sampled one
  // is a noisy draw, and the latest has the λ refined longest.
  if (value_point_ && !sampled && !(validation_loss < value_point_->validation_loss)) return;
  StationaryPoint point{hyper_steps_, inner_steps_, validation_loss, {}};
  for (const Hyperparameter& h : refined()) point.values.push_back(h.value().detach().clone());
  value_point_ = std::move(point);
}

void HyperOptimizer::check_finite(const Method& method, const HyperGradient& hypergradient) const {
  std::ostringstream where;
  where << " at hyper-step " << hyper_steps_ + 1 << " (method " << method.name() << ")";
  if (!std::isfinite(hypergradient.validation_loss)) {
    throw NonFiniteError("validation loss is not finite" + where.str());
  }
  if (!tensor_list::all_finite(hypergradient.d_theta)) {
    for (size_t i = 0; i < hypergradient.d_theta.size(); ++i) {
      if (!tensor_list::all_finite({hypergradient.d_theta[i]})) {
        throw NonFiniteError("hypergradient of '" + problem_.hyperparameters[i].name() + "' is not finite" +
                             where.str());
      }
    }
  }
  if (hypergradient.learning_rate && !std::isfinite(*hypergradient.learning_rate)) {
    throw NonFiniteError("learning-rate hypergradient is not finite" + where.str());
  }
  if (hypergradient.momentum && !std::isfinite(*hypergradient.momentum)) {
    throw NonFiniteError("momentum hypergradient is not finite" + where.str());
  }
}

std::vector<torch::Tensor> HyperOptimizer::theta_gradients(const HyperGradient& hypergradient) const {
  std::vector<torch::Tensor> gradients = hypergradient.d_theta;
  if (learning_rate_) gradients.push_back(theta_gradient(*learning_rate_, *hypergradient.learning_rate));
  if (momentum_) gradients.push_back(theta_gradient(*momentum_, *hypergradient.momentum));
  for (torch::Tensor& g : gradients) g = g.detach();
  return gradients;
}

double HyperOptimizer::load_gradients(const std::vector<torch::Tensor>& gradients) {
  const double norm = tensor_list::norm(gradients);
  const double scale = options_.clip_norm() > 0 && norm > options_.clip_norm() ? options_.clip_norm() / norm : 1.0;
  std::vector<torch::Tensor> thetas = refined_thetas();
  for (size_t i = 0; i < thetas.size(); ++i) {
    thetas[i].mutable_grad() = (gradients[i] * scale).to(thetas[i].options());
  }
  return norm;
}

// One parameter group per refined tensor, with a step size that is the same share of
// every tensor's θ range: a per-feature penalty on [1e-6, 1] (range 13.8 in log space) and
// a momentum on [0, 0.99] both cross their boxes in 1 / lr hyper-steps.
void HyperOptimizer::make_hyper_optimizer() {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (const Hyperparameter& h : refined()) {
    const double lr = options_.lr() * h.theta_range();
    if (options_.update() == HyperUpdate::Adam) {
      groups.emplace_back(std::vector<torch::Tensor>{h.theta()}, std::make_unique<torch::optim::AdamOptions>(lr));
    } else {
      groups.emplace_back(std::vector<torch::Tensor>{h.theta()}, std::make_unique<torch::optim::SGDOptions>(lr));
    }
  }
  if (options_.update() == HyperUpdate::Adam) {
    hyper_optimizer_ = std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(options_.lr()));
  } else {
    hyper_optimizer_ = std::make_unique<torch::optim::SGD>(std::move(groups), torch::optim::SGDOptions(options_.lr()));
  }
}

// HOAG's adaptive step, per refined tensor: when L_V rose since the previous hyper-step
// and the tensor's hypergradient turned against its previous one, its last step overshot
// the minimum and its step size shrinks. A rise alone is no evidence: on a flat stretch
// L_V moves by less than the inner problem's residual error.
void HyperOptimizer::back_off_overshoots(const std::vector<torch::Tensor>& gradients, double validation_loss) {
  const bool rose = previous_point_loss_ && validation_loss > *previous_point_loss_;
  if (rose) {
    auto& groups = hyper_optimizer_->param_groups();
    for (size_t i = 0; i < groups.size(); ++i) {
      if ((gradients[i] * previous_gradients_[i]).sum().item<double>() < 0) {
        groups[i].options().set_lr(groups[i].options().get_lr() * options_.lr_backoff());
      }
    }
  }
  previous_point_loss_ = validation_loss;
  previous_gradients_ = gradients;
}

void HyperOptimizer::write_inner_hyperparameters() {
  if (learning_rate_) set_learning_rate(*inner_, learning_rate_->values()[0]);
  if (momentum_) set_momentum(*inner_, momentum_->values()[0]);
  if (learning_rate_ || momentum_) written_ = sgd_settings(*inner_, method_->name());
}

void HyperOptimizer::throw_if_inner_settings_overwritten() const {
  const SgdSettings now = sgd_settings(*inner_, method_->name());
  const auto check = [](const std::optional<Hyperparameter>& refined, double written, double found) {
    if (!refined || found == written) return;
    std::ostringstream message;
    message << "the inner SGD's '" << refined->name() << "' is refined (last set to " << written
            << ") but the optimizer now has " << found
            << ": something else, such as a scheduler, changed it; a refined value cannot also follow a schedule";
    throw ValueError(message.str());
  };
  check(learning_rate_, written_->learning_rate, now.learning_rate);
  check(momentum_, written_->momentum, now.momentum);
}

std::vector<torch::Tensor> HyperOptimizer::hypergradient() {
  if (!method_) throw ValueError("this HyperOptimizer has no hypergradient method: it only trains");
  outside_writes_->compare(problem_.parameters);
  throw_if_written_outside(*method_);
  HyperGradient hypergradient = method_->hypergradient(HyperStepContext{problem_, *inner_, last_batch_, counters_});
  check_finite(*method_, hypergradient);
  std::vector<torch::Tensor> gradients = theta_gradients(hypergradient);
  last_hypergradient_ = std::move(hypergradient);
  return gradients;
}

void HyperOptimizer::throw_if_written_outside(const Method& method) const {
  if (const std::optional<std::size_t> written = outside_writes_->written()) {
    throw ValueError("method '" + method.name() + "': the model's weights were changed between inner steps by " +
                     "something other than the inner optimizer (weight tensor " + std::to_string(*written) +
                     " was written in place): every method models the optimizer's update alone, so the " +
                     "hypergradient would be wrong. Put constraints into train_loss as penalties, or write the " +
                     "weights only through step()");
  }
}

const HyperGradient& HyperOptimizer::hyper_step() {
  if (!method_) throw ValueError("this HyperOptimizer has no hypergradient method: it only trains");
  outside_writes_->compare(problem_.parameters);
  const HyperGradient& hypergradient = take_hyper_step(*method_, StationarityVerdict{});
  outside_writes_->record(problem_.parameters);
  return hypergradient;
}

const HyperGradient& HyperOptimizer::take_hyper_step(Method& method, const StationarityVerdict& verdict) {
  steps_since_check_ = 0;
  throw_if_written_outside(method);
  HyperGradient hypergradient = method.hypergradient(HyperStepContext{problem_, *inner_, last_batch_, counters_});
  check_finite(method, hypergradient);
  // Away from w*(λ), L_V says nothing about this λ's value.
  if (verdict.converged) record_point(hypergradient.validation_loss, verdict.sampled);

  if (!hyper_optimizer_) make_hyper_optimizer();
  const std::vector<torch::Tensor> gradients = theta_gradients(hypergradient);
  back_off_overshoots(gradients, hypergradient.validation_loss);
  const double norm = load_gradients(gradients);
  hyper_optimizer_->step();
  for (Hyperparameter& hyperparameter : problem_.hyperparameters) hyperparameter.project();
  if (learning_rate_) learning_rate_->project();
  if (momentum_) momentum_->project();
  write_inner_hyperparameters();
  stationarity_->restart();

  ++hyper_steps_;
  last_hypergradient_ = std::move(hypergradient);
  if (callback_) {
    callback_(HyperStepReport{hyper_steps_, last_hypergradient_.validation_loss, norm,
                              counters_.hessian_vector_products, inner_steps_, deferred_checks_,
                              &method == greedy_.get(), last_gradient_ratio_});
  }
  return last_hypergradient_;
}

void HyperOptimizer::attach_learning_rate(Hyperparameter learning_rate) {
  check_attachable(learning_rate, "learning rate", method_ && method_->differentiates_learning_rate());
  learning_rate_ = std::move(learning_rate);
  write_inner_hyperparameters();
}

void HyperOptimizer::attach_momentum(Hyperparameter momentum) {
  check_attachable(momentum, "momentum", method_ && method_->differentiates_momentum());
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
    throw ValueError(prefix + "method '" + (method_ ? method_->name() : std::string("(none)")) +
                     "' does not differentiate it (use 'unrolled'" +
                     (std::string(what) == "learning rate" ? " or 't1t2')" : ")"));
  }
  sgd_settings(*inner_, method_->name());
}

void HyperOptimizer::on_hyper_step(std::function<void(const HyperStepReport&)> callback) {
  callback_ = std::move(callback);
}

}  // namespace hpo::hypergrad
