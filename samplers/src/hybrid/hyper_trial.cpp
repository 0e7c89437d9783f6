#include "hpo/hybrid/hyper_trial.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>

#include "hpo/error.hpp"
#include "hpo/hybrid/hypergradient_sampler.hpp"
#include "hpo/hypergrad/errors.hpp"
#include "hpo/hypergrad/make_method.hpp"
#include "hpo/hypergrad/unrolled.hpp"
#include "hpo/study.hpp"
#include "../hypergrad/tensor_list.hpp"
#include "whole_run_search.hpp"

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

torch::Tensor cpu_generator_state() {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  const std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_cpu_generator_state(const torch::Tensor& state) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  const std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
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

Json hyper_optimizer_json(const hypergrad::HyperOptimizerOptions& o) {
  return {{"inner_steps", o.inner_steps()},
          {"update", hypergrad::to_string(o.update())},
          {"lr", o.lr()},
          {"clip_norm", o.clip_norm()},
          {"lr_backoff", o.lr_backoff()},
          {"stationarity_tolerance", o.stationarity_tolerance()},
          {"stationarity_decay", o.stationarity_decay()},
          {"min_stationarity_tolerance", o.min_stationarity_tolerance()},
          {"value_tolerance", o.value_tolerance()},
          {"max_hyper_steps", o.max_hyper_steps()},
          {"greedy_horizon", o.greedy_horizon()}};
}

}  // namespace

// Filled when the HyperTrial goes out of scope (the objective returned or threw) and
// written by the finalizer, after the objective, when the Study finishes the trial. It
// holds copies: the model and the losses the HyperOptimizer refers to are gone by then.
struct HyperTrial::Outcome {
  struct Param {
    std::string name;
    double value;
  };
  struct TensorFile {
    std::string hyperparameter;
    std::string path;
    torch::Tensor values;
  };
  std::vector<Param> params;
  std::vector<TensorFile> files;
  Json record;
  std::string error;  // what went wrong while collecting; the finalizer fails the trial with it

  void write(Trial& trial) const {
    if (!error.empty()) throw TrialFailed("could not collect the refined values: " + error);
    Json attribute = record;
    for (const TensorFile& file : files) {
      try {
        torch::save(file.values, file.path);
      } catch (const std::exception& e) {
        throw TrialFailed("could not save the refined '" + file.hyperparameter + "' to " + file.path + ": " +
                          e.what());
      }
      attribute["tensor_files"][file.hyperparameter] = file.path;
    }
    for (const Param& param : params) trial.update_param(param.name, param.value);
    trial.set_system_attr("hypergrad", attribute);
  }
};

HyperTrial::HyperTrial(Trial& trial) : trial_(trial), refinement_(trial.study().sampler()->refinement()) {
  if (!refinement_) return;  // nothing is refined: the params are the suggested values
  outcome_ = std::make_shared<Outcome>();
  trial_.add_finalizer([outcome = outcome_](Trial& finished) { outcome->write(finished); });
}

HyperTrial::~HyperTrial() {
  if (!outcome_) return;
  try {
    collect(*outcome_);
  } catch (const std::exception& e) {
    outcome_->error = e.what();
  }
}

HyperTrial::Refined& HyperTrial::add(Refined refined) {
  for (const Refined* r : all_refined())
    if (r->hyperparameter.name() == refined.hyperparameter.name())
      throw ValueError("hyperparameter '" + r->hyperparameter.name() + "' was already suggested in trial " +
                       std::to_string(trial_.number()));
  refined_.push_back(std::move(refined));
  return refined_.back();
}

hypergrad::Hyperparameter HyperTrial::suggest_hyperparameter(const std::string& name, double low, double high,
                                                             HyperparameterOptions options) {
  return suggest_hyperparameter(name, FloatDistribution(low, high, options.log()), options);
}

hypergrad::Hyperparameter HyperTrial::suggest_hyperparameter(const std::string& name,
                                                             const Distribution& distribution,
                                                             HyperparameterOptions options) {
  const auto* d = std::get_if<FloatDistribution>(&distribution);
  if (!d || d->step)
    throw ValueError("parameter '" + name + "' is a " +
                     (d ? "stepped FloatDistribution" : distribution_name(distribution)) +
                     ", but only continuous floats (no step) can be refined as differentiable tensors");
  const std::int64_t size = options.size();
  if (size < 0)
    throw ValueError("hyperparameter '" + name + "' has size " + std::to_string(size) + ", expected >= 0");
  const std::int64_t limit = (refinement_ ? *refinement_ : HypergradientSamplerOptions()).max_param_elements();

  std::vector<std::string> names;
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
  std::vector<double> initial;
  for (const auto& n : names) initial.push_back(trial_.suggest(n, *d));
  std::vector<double> values = initial;
  if (size > limit) {
    values.assign(static_cast<std::size_t>(size), initial[0]);
    names.clear();
  }
  // A dtype not given is settled by make_optimizer; float64 until then loses nothing.
  const torch::Dtype dtype = options.dtype().value_or(torch::kFloat64);
  hypergrad::Hyperparameter h(name, tensor_within(values, shape, *d, dtype), d->low, d->high, d->log);
  return add(Refined{h, *d, names, initial, options.dtype().has_value()}).hyperparameter;
}

double HyperTrial::suggest_inner_hyperparameter(std::optional<Refined>& slot, const std::string& name,
                                                const FloatDistribution& distribution) {
  if (slot)
    throw ValueError("'" + name + "': the inner optimizer's " + slot->hyperparameter.name() +
                     " was already suggested in this trial");
  const double value = trial_.suggest(name, distribution);
  hypergrad::Hyperparameter h(name, value, distribution.low, distribution.high, distribution.log);
  slot = Refined{h, distribution, {name}, {value}, true};
  return value;
}

double HyperTrial::suggest_learning_rate(const std::string& name, double low, double high, bool log) {
  return suggest_inner_hyperparameter(learning_rate_, name, FloatDistribution(low, high, log));
}

double HyperTrial::suggest_momentum(const std::string& name, double low, double high) {
  return suggest_inner_hyperparameter(momentum_, name, FloatDistribution(low, high));
}

std::vector<const HyperTrial::Refined*> HyperTrial::all_refined() const {
  std::vector<const Refined*> all;
  for (const Refined& r : refined_) all.push_back(&r);
  if (learning_rate_) all.push_back(&*learning_rate_);
  if (momentum_) all.push_back(&*momentum_);
  return all;
}

hypergrad::HyperOptimizer& HyperTrial::make_optimizer(hypergrad::Problem problem,
                                                      std::shared_ptr<torch::optim::Optimizer> inner) {
  if (optimizer_ && !run_pending_)
    throw ValueError("make_optimizer was already called in this run of trial " + std::to_string(trial_.number()) +
                     (whole_runs_ ? " (another run starts when next_round() returns true)" : ""));
  if (!inner) throw ValueError("make_optimizer needs an inner optimizer, got none");
  if (problem.hyperparameters.empty())
    for (const Refined& r : refined_) problem.hyperparameters.push_back(r.hyperparameter);
  const torch::Dtype model_dtype =
      problem.parameters.empty()
          ? inner->param_groups().at(0).params().at(0).scalar_type()
          : problem.parameters.front().scalar_type();
  for (Refined& r : refined_)
    if (!r.dtype_given) r.hyperparameter.to(model_dtype);
  run_pending_ = false;

  if (!refinement_) {
    optimizer_ = std::make_unique<hypergrad::HyperOptimizer>(std::move(problem), std::move(inner));
    return *optimizer_;
  }
  if (!optimizer_) whole_runs_ = !problem.convex && refinement_->whole_runs() > 0;
  if (whole_runs_ && !dynamic_cast<const torch::optim::SGD*>(inner.get()))
    throw ValueError("trial " + std::to_string(trial_.number()) +
                     ": a problem not declared convex is refined across whole runs, which differentiate the "
                     "update of torch::optim::SGD (with or without momentum), and the inner optimizer is "
                     "another; use SGD, declare the problem convex if it is (hypergrad::Problem::convex), or "
                     "refine during one run with an implicit method (HypergradientSamplerOptions().whole_runs(0))");
  if (whole_runs_) {
    // λ stays frozen through the run (its value is then honest) and the run is
    // differentiated whole when it ends.
    optimizer_ = std::make_unique<hypergrad::HyperOptimizer>(
        std::move(problem), std::move(inner), std::make_unique<hypergrad::Unrolled>(hypergrad::UnrolledOptions().steps(0)),
        hypergrad::HyperOptimizerOptions(refinement_->hyper_optimizer()).refine_during_training(false));
  } else {
    optimizer_ = std::make_unique<hypergrad::HyperOptimizer>(
        std::move(problem), std::move(inner), hypergrad::make_method(refinement_->method()),
        refinement_->hyper_optimizer());
  }
  // An implicit method's w* does not depend on how SGD steps towards it: with such a
  // method the learning rate and momentum keep their suggested values.
  const hypergrad::Method& method = *optimizer_->method();
  if (learning_rate_ && method.differentiates_learning_rate())
    optimizer_->attach_learning_rate(learning_rate_->hyperparameter);
  if (momentum_ && method.differentiates_momentum()) optimizer_->attach_momentum(momentum_->hyperparameter);
  if (whole_runs_) {
    if (!search_) search_ = std::make_unique<WholeRunSearch>(optimizer_->refined(), refinement_->whole_run_step());
    run_open_ = true;
  } else {
    optimizer_->on_hyper_step([this](const hypergrad::HyperStepReport& report) { on_hyper_step(report); });
  }
  return *optimizer_;
}

bool HyperTrial::next_round() {
  if (!generator_state_) {
    generator_state_ = cpu_generator_state();
    return true;
  }
  if (!optimizer_ || run_pending_) return false;
  if (whole_runs_) {
    value();
    if (search_->runs() >= whole_runs_allowed() || !search_->propose()) return false;
  } else if (!continue_across_whole_runs()) {
    return false;
  }
  value_.reset();
  run_pending_ = true;
  set_cpu_generator_state(*generator_state_);
  return true;
}

// An implicit method's hypergradient describes λ at a stationary point. A run that
// never reached one moved λ by greedy steps, which favour what helps the next steps rather
// than the end of the run, and its value belongs to no λ: a whole run with λ frozen gives
// that λ its value, and its hypergradient is exact for the loop as written.
bool HyperTrial::continue_across_whole_runs() {
  if (!refining() || refinement_->whole_runs() < 2 || !optimizer_->problem().convex ||
      !optimizer_->method()->assumes_stationary_point() || !dynamic_cast<const torch::optim::SGD*>(&optimizer_->inner()))
    return false;
  value();
  if (optimizer_->value_point()) return false;
  unconverged_first_run_ = Json{{"method", optimizer_->method()->name()},
                                {"hyper_steps", optimizer_->hyper_steps()},
                                {"greedy_steps", optimizer_->greedy_steps()},
                                {"inner_steps", optimizer_->inner_steps()},
                                {"trajectory_value", *trajectory_value_}};
  whole_runs_ = true;
  return true;
}

int HyperTrial::runs_before_whole_runs() const { return unconverged_first_run_ ? 1 : 0; }

std::int64_t HyperTrial::first_run_hyper_steps() const {
  return unconverged_first_run_ ? unconverged_first_run_->at("hyper_steps").get<std::int64_t>() : 0;
}

// The first run of a trial that began unconverged counts against the budget of runs.
int HyperTrial::whole_runs_allowed() const { return refinement_->whole_runs() - runs_before_whole_runs(); }

int HyperTrial::best_run() const {
  if (!whole_runs_) return value_ ? 1 : 0;
  if (!search_ || search_->best_run() == 0) return 0;
  return search_->best_run() + runs_before_whole_runs();
}

void HyperTrial::report(double validation_loss, std::int64_t step, const std::string& what) {
  trial_.report(validation_loss, step);
  const std::optional<std::int64_t>& warmup = refinement_->pruning_warmup_steps();
  if (warmup && step >= *warmup && trial_.should_prune())
    throw TrialPruned("pruned at " + what + " " + std::to_string(step) + " with validation loss " +
                      std::to_string(validation_loss));
}

void HyperTrial::on_hyper_step(const hypergrad::HyperStepReport& report) {
  hypergradient_norms_.push_back(report.hypergradient_norm);
  this->report(report.validation_loss, report.step, "hyper-step");
}

// The run's value is honest (λ was frozen); its hypergradient through the whole run points
// the next run's λ. θ returns to the best run's λ, which the params become. A later run
// that failed (fail_run(), or a non-finite validation loss) ranks below every run and is
// not differentiated; the first has no λ to fall back on and fails the trial.
void HyperTrial::end_run(bool failed) {
  double validation_loss = INFINITY;
  if (!failed) {
    const torch::NoGradGuard no_grad;
    validation_loss = optimizer_->problem().val_loss().item<double>();
  }
  trajectory_value_ = validation_loss;
  run_open_ = false;
  failed = failed || !std::isfinite(validation_loss);
  if (failed && search_->runs() == 0)
    throw hypergrad::NonFiniteError("trial " + std::to_string(trial_.number()) +
                                    ": the first whole run failed (validation loss " + std::to_string(validation_loss) +
                                    "), so there is no λ to go on from");
  // The last run's hypergradient would point a run that never happens: its reverse pass,
  // three trainings' worth, is skipped.
  std::vector<torch::Tensor> gradients;
  if (!failed && search_->runs() + 1 < whole_runs_allowed()) {
    try {
      gradients = optimizer_->hypergradient();
      hypergradient_norms_.push_back(hypergrad::tensor_list::norm(gradients));
    } catch (const hypergrad::NonFiniteError& e) {
      // The run's value stands (λ was frozen); only a direction from it is lost.
      search_stopped_ = e.what();
    }
  }
  search_->observe(failed ? INFINITY : validation_loss, gradients);
  search_->restore_best();
  if (!failed) report(validation_loss, first_run_hyper_steps() + search_->runs(), "run");
}

void HyperTrial::fail_run() {
  if (!whole_runs_ || !run_open_ || search_->runs() == 0)
    throw ValueError("fail_run() ends a later whole run of trial " + std::to_string(trial_.number()) +
                     ", and this is " +
                     (!whole_runs_ ? "not refined across whole runs" : !run_open_ ? "between runs" : "its first run"));
  end_run(/*failed=*/true);
}

double HyperTrial::value() {
  if (value_) return *value_;
  if (!optimizer_ || run_pending_) throw ValueError("HyperTrial::value() needs make_optimizer() and training first");
  if (whole_runs_) {
    if (run_open_) end_run(/*failed=*/false);
    value_ = search_->best_value();
    return *value_;
  }
  {
    const torch::NoGradGuard no_grad;
    trajectory_value_ = optimizer_->problem().val_loss().item<double>();
  }
  const std::optional<hypergrad::StationaryPoint>& point = refining() ? optimizer_->settle() : std::nullopt;
  value_ = point ? point->validation_loss : *trajectory_value_;
  // Hyper-steps after the point moved λ on; a model trained anew must read the point's.
  if (point) {
    std::vector<hypergrad::Hyperparameter> refined = optimizer_->refined();
    for (std::size_t i = 0; i < refined.size(); ++i) refined[i].set_value(point->values[i]);
  }
  return *value_;
}

bool HyperTrial::value_needs_retraining() const {
  if (!value_ || !refining() || whole_runs_ || optimizer_->hyper_steps() == 0) return false;
  return !(optimizer_->value_point() && optimizer_->problem().convex && !optimizer_->mini_batches());
}

Json HyperTrial::record() const {
  Json initial = Json::object();
  for (const Refined* r : all_refined()) {
    if (r->param_names.empty()) {
      initial[r->hyperparameter.name()] = r->initial[0];
    } else {
      for (std::size_t i = 0; i < r->param_names.size(); ++i) initial[r->param_names[i]] = r->initial[i];
    }
  }
  const hypergrad::Method* method = optimizer_ ? optimizer_->method() : nullptr;
  // Before make_optimizer() there is no method yet: describe the configured one.
  const std::unique_ptr<hypergrad::Method> configured = method ? nullptr : hypergrad::make_method(refinement_->method());
  const hypergrad::Method& described = method ? *method : *configured;
  Json out = {{"method", described.name()},
              {"settings", settings_json(described.settings())},
              {"hyper_optimizer", hyper_optimizer_json(refinement_->hyper_optimizer())},
              {"initial_params", initial},
              {"hypergradient_norms", hypergradient_norms_}};
  if (value_) out["value"] = *value_;
  if (trajectory_value_) out["trajectory_value"] = *trajectory_value_;
  if (optimizer_) {
    out["hyper_steps"] = optimizer_->hyper_steps();
    out["inner_steps"] = optimizer_->inner_steps();
    out["deferred_checks"] = optimizer_->deferred_checks();
    out["greedy_steps"] = optimizer_->greedy_steps();
    out["mini_batches"] = optimizer_->mini_batches();
    out["hessian_vector_products"] = optimizer_->counters().hessian_vector_products;
    out["backward_passes"] = optimizer_->counters().backward_passes;
    out["diagnostics"] = settings_json(described.diagnostics());
    if (whole_runs_) {
      out["whole_runs"] = search_->values();
      out["best_run"] = search_->best_run();
      if (search_stopped_) out["whole_runs_stopped"] = *search_stopped_;
      if (unconverged_first_run_) out["first_run"] = *unconverged_first_run_;
    }
    if (const auto& point = optimizer_->value_point()) {
      out["stationary_point"] = {{"hyper_step", point->hyper_step},
                                 {"inner_step", point->inner_step},
                                 {"validation_loss", point->validation_loss}};
    }
  }
  return out;
}

// The params are the λ of the value's converged point; without one, the λ trained last (the
// initial values for the implicit methods, which only move λ at stationary points), whose
// value is then the trajectory's.
void HyperTrial::collect(Outcome& outcome) const {
  const std::optional<hypergrad::StationaryPoint>& point =
      optimizer_ ? optimizer_->value_point() : std::nullopt;
  // Without a hyper-step λ never moved: the suggested values stand exactly (not their
  // round trip through the hyperparameter's dtype).
  const bool moved = whole_runs_ ? search_ && (search_->best_run() > 1 || first_run_hyper_steps() > 0)
                                 : optimizer_ && (point || optimizer_->hyper_steps() > 0);
  const std::vector<hypergrad::Hyperparameter> order = moved ? optimizer_->refined() : std::vector<hypergrad::Hyperparameter>{};
  for (const Refined* r : all_refined()) {
    torch::Tensor values;
    for (std::size_t i = 0; i < order.size(); ++i)
      if (order[i].name() == r->hyperparameter.name()) values = point ? point->values[i] : order[i].value().detach();
    if (!values.defined()) continue;
    if (r->param_names.empty()) {
      const std::string dir = refinement_->tensor_dir().empty() ? "." : refinement_->tensor_dir();
      outcome.files.push_back({r->hyperparameter.name(),
                               dir + "/" + file_safe(trial_.study().study_name()) + "-trial" +
                                   std::to_string(trial_.number()) + "-" + file_safe(r->hyperparameter.name()) +
                                   ".pt",
                               values.cpu()});
      continue;
    }
    const torch::Tensor flat = values.to(torch::kFloat64).cpu().contiguous().view(-1);
    for (std::size_t i = 0; i < r->param_names.size(); ++i) {
      const double v = flat[static_cast<std::int64_t>(i)].item<double>();
      outcome.params.push_back({r->param_names[i], std::clamp(v, r->distribution.low, r->distribution.high)});
    }
  }
  outcome.record = record();
}

}  // namespace hpo
