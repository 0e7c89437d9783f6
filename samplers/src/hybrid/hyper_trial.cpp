#include "hpo/hybrid/hyper_trial.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>

#include <torch/serialize.h>

#include "hpo/error.hpp"
#include "hpo/hybrid/hypergradient_sampler.hpp"
#include "hpo/hypergrad/make_method.hpp"
#include "hpo/study.hpp"

namespace hpo {
namespace {

// Values as a tensor of `dtype` that stays inside [low, high] after rounding to it (0.1
// rounds up in float32, which the bounds check of Hyperparameter would reject).
torch::Tensor tensor_within(const std::vector<double>& values, std::vector<std::int64_t> shape,
                            const FloatDistribution& d, torch::Dtype dtype) {
  torch::Tensor t = torch::tensor(values, torch::kFloat64).reshape(shape).clamp(d.low, d.high).to(dtype);
  torch::Tensor exact = t.to(torch::kFloat64);
  t = torch::where(exact > d.high, torch::nextafter(t, torch::full_like(t, -INFINITY)), t);
  t = torch::where(exact < d.low, torch::nextafter(t, torch::full_like(t, INFINITY)), t);
  return t;
}

std::string file_safe(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return out;
}

Json settings_json(const std::vector<std::pair<std::string, double>>& settings) {
  Json out = Json::object();
  for (const auto& [key, value] : settings) out[key] = value;
  return out;
}

}  // namespace

HyperTrial::HyperTrial(Trial& trial)
    : trial_(trial), sampler_(dynamic_cast<const HypergradientSampler*>(trial.study().sampler().get())) {}

HyperTrial::~HyperTrial() {
  try {
    finish();
  } catch (const std::exception& e) {
    std::cerr << "hpo: could not store the refined values of trial " << trial_.number() << ": " << e.what()
              << "\n";
  }
}

HyperTrial::Refined& HyperTrial::add(Refined refined) {
  for (const auto& r : refined_)
    if (r.hyperparameter.name() == refined.hyperparameter.name())
      throw ValueError("hyperparameter '" + r.hyperparameter.name() + "' was already suggested in trial " +
                       std::to_string(trial_.number()));
  refined_.push_back(std::move(refined));
  return refined_.back();
}

hypergrad::Hyperparameter HyperTrial::suggest_hyperparameter(const std::string& name, double low, double high,
                                                             bool log, torch::Dtype dtype) {
  return suggest_hyperparameter(name, 0, FloatDistribution(low, high, log), dtype);
}

hypergrad::Hyperparameter HyperTrial::suggest_hyperparameter(const std::string& name, std::int64_t size,
                                                             double low, double high, bool log,
                                                             torch::Dtype dtype) {
  if (size < 1)
    throw ValueError("hyperparameter '" + name + "' has size " + std::to_string(size) + ", expected >= 1");
  return suggest_hyperparameter(name, size, FloatDistribution(low, high, log), dtype);
}

hypergrad::Hyperparameter HyperTrial::suggest_hyperparameter(const std::string& name, std::int64_t size,
                                                             const Distribution& distribution,
                                                             torch::Dtype dtype) {
  const auto* d = std::get_if<FloatDistribution>(&distribution);
  if (!d || d->step)
    throw ValueError("parameter '" + name + "' is a " + (d ? "stepped FloatDistribution" : distribution_name(distribution)) +
                     ", but only continuous floats (no step) can be refined as differentiable tensors");
  if (size < 0)
    throw ValueError("hyperparameter '" + name + "' has size " + std::to_string(size) + ", expected >= 0");
  std::int64_t limit = (sampler_ ? sampler_->options() : HypergradientSamplerOptions()).max_param_elements();

  std::vector<std::string> names;
  std::vector<double> initial;
  std::vector<std::int64_t> shape;
  if (size == 0) {
    names = {name};
  } else if (size <= limit) {
    for (std::int64_t i = 0; i < size; ++i) names.push_back(name + "[" + std::to_string(i) + "]");
    shape = {size};
  } else {
    names = {name};  // one broadcast initial value; the refined tensor goes to a file
    shape = {size};
  }
  for (const auto& n : names) initial.push_back(trial_.suggest(n, *d));
  std::vector<double> values = initial;
  if (size > limit) {
    values.assign(static_cast<std::size_t>(size), initial[0]);
    names.clear();
  }
  hypergrad::Hyperparameter h(name, tensor_within(values, shape, *d, dtype), d->low, d->high, d->log);
  return add(Refined{h, *d, names, initial}).hyperparameter;
}

double HyperTrial::suggest_inner_hyperparameter(std::optional<Refined>& slot, const std::string& name,
                                                const FloatDistribution& distribution) {
  if (slot) throw ValueError("'" + name + "': the inner optimizer's " + slot->hyperparameter.name() +
                             " was already suggested in this trial");
  double value = trial_.suggest(name, distribution);
  hypergrad::Hyperparameter h(name, value, distribution.low, distribution.high, distribution.log);
  slot = Refined{h, distribution, {name}, {value}};
  return value;
}

double HyperTrial::suggest_learning_rate(const std::string& name, double low, double high, bool log) {
  return suggest_inner_hyperparameter(learning_rate_, name, FloatDistribution(low, high, log));
}

double HyperTrial::suggest_momentum(const std::string& name, double low, double high) {
  return suggest_inner_hyperparameter(momentum_, name, FloatDistribution(low, high));
}

hypergrad::HyperOptimizer& HyperTrial::make_optimizer(hypergrad::Problem problem,
                                                      std::shared_ptr<torch::optim::Optimizer> inner) {
  if (optimizer_) throw ValueError("make_optimizer was already called in trial " + std::to_string(trial_.number()));
  if (problem.hyperparameters.empty())
    for (const auto& r : refined_) problem.hyperparameters.push_back(r.hyperparameter);

  hypergrad::HyperOptimizerOptions options;
  std::unique_ptr<hypergrad::Method> method;
  if (sampler_) {
    const HypergradientSamplerOptions& o = sampler_->options();
    method = hypergrad::make_method(o.method(), o.method_settings());
    options.inner_steps(o.inner_steps())
        .lr(o.hyper_lr())
        .update(hypergrad::hyper_update_from_name(o.hyper_update()))
        .clip_norm(o.clip_norm());
  } else {
    // Another sampler chose these values: train with them, never take a hyper-step.
    method = hypergrad::make_method("cg");
    options.inner_steps(std::numeric_limits<std::int64_t>::max());
  }
  optimizer_ = std::make_unique<hypergrad::HyperOptimizer>(std::move(problem), std::move(inner), std::move(method),
                                                           options);
  if (sampler_) {
    if (learning_rate_) optimizer_->attach_learning_rate(learning_rate_->hyperparameter);
    if (momentum_) optimizer_->attach_momentum(momentum_->hyperparameter);
    optimizer_->on_hyper_step([this](const hypergrad::HyperStepReport& report) { on_hyper_step(report); });
  }
  return *optimizer_;
}

void HyperTrial::on_hyper_step(const hypergrad::HyperStepReport& report) {
  hypergradient_norms_.push_back(report.hypergradient_norm);
  trial_.report(report.validation_loss, report.step);
  if (trial_.should_prune())
    throw TrialPruned("pruned at hyper-step " + std::to_string(report.step) + " with validation loss " +
                      std::to_string(report.validation_loss));
}

Json HyperTrial::record() const {
  const HypergradientSamplerOptions& o = sampler_->options();
  Json initial = Json::object();
  auto note_initial = [&](const Refined& r) {
    if (r.param_names.empty()) {
      initial[r.hyperparameter.name()] = r.initial[0];
    } else {
      for (std::size_t i = 0; i < r.param_names.size(); ++i) initial[r.param_names[i]] = r.initial[i];
    }
  };
  for (const auto& r : refined_) note_initial(r);
  if (learning_rate_) note_initial(*learning_rate_);
  if (momentum_) note_initial(*momentum_);
  Json out = {{"method", o.method()},
              {"settings", settings_json(optimizer_ ? optimizer_->method().settings() : o.method_settings())},
              {"inner_steps", o.inner_steps()},
              {"hyper_update", o.hyper_update()},
              {"hyper_lr", o.hyper_lr()},
              {"clip_norm", o.clip_norm()},
              {"initial_params", initial},
              {"hypergradient_norms", hypergradient_norms_}};
  if (optimizer_) {
    out["hyper_steps"] = optimizer_->hyper_steps();
    out["hessian_vector_products"] = optimizer_->counters().hessian_vector_products;
    out["backward_passes"] = optimizer_->counters().backward_passes;
    out["diagnostics"] = settings_json(optimizer_->method().diagnostics());
  }
  return out;
}

void HyperTrial::finish() {
  if (finished_) return;
  finished_ = true;
  if (!sampler_) return;  // nothing was refined: the params are the suggested values

  Json files = Json::object();
  auto store = [&](const Refined& r) {
    if (r.param_names.empty()) {
      std::string dir = sampler_->options().tensor_dir().empty() ? "." : sampler_->options().tensor_dir();
      std::string path = dir + "/" + file_safe(trial_.study().study_name()) + "-trial" +
                         std::to_string(trial_.number()) + "-" + file_safe(r.hyperparameter.name()) + ".pt";
      torch::save(r.hyperparameter.value().detach().cpu(), path);
      files[r.hyperparameter.name()] = path;
      return;
    }
    std::vector<double> values = r.hyperparameter.values();
    for (std::size_t i = 0; i < r.param_names.size(); ++i)
      trial_.update_param(r.param_names[i], std::clamp(values[i], r.distribution.low, r.distribution.high));
  };
  for (const auto& r : refined_) store(r);
  if (learning_rate_) store(*learning_rate_);
  if (momentum_) store(*momentum_);
  Json attr = record();
  if (!files.empty()) attr["tensor_files"] = files;
  trial_.set_system_attr("hypergrad", attr);
}

double HyperTrial::finish(double value) {
  finish();
  return value;
}

}  // namespace hpo
