#include "hpo/hybrid/hypergradient_sampler.hpp"

#include <algorithm>
#include <cmath>

#include "hpo/error.hpp"
#include "hpo/study.hpp"

namespace hpo {
namespace {

constexpr const char* kModeAttr = "hybrid:mode";
constexpr const char* kParentAttr = "hybrid:parent";

// The parameter's position in the internal space where perturbations are taken.
double to_space(const FloatDistribution& d, double v) { return d.log ? std::log(v) : v; }
double from_space(const FloatDistribution& d, double s) { return d.log ? std::exp(s) : s; }

}  // namespace

std::string to_string(HybridMode mode) {
  switch (mode) {
    case HybridMode::Startup: return "startup";
    case HybridMode::Explore: return "explore";
    case HybridMode::Exploit: return "exploit";
  }
  return "unknown";
}

HypergradientSampler::HypergradientSampler(HypergradientSamplerOptions options,
                                           std::shared_ptr<Sampler> base)
    : options_(std::move(options)),
      base_(base ? std::move(base) : std::make_shared<RandomSampler>(options_.seed())),
      rng_(options_.seed()) {
  if (!(options_.exploit_fraction() >= 0 && options_.exploit_fraction() <= 1))
    throw ValueError("exploit_fraction " + std::to_string(options_.exploit_fraction()) +
                     " is outside [0, 1]");
  if (!(options_.perturbation() >= 0))
    throw ValueError("perturbation " + std::to_string(options_.perturbation()) + " is negative, expected >= 0");
  if (options_.whole_runs() < 0)
    throw ValueError("whole_runs " + std::to_string(options_.whole_runs()) + " is negative, expected >= 0");
  if (!(options_.whole_run_step() > 0 && options_.whole_run_step() <= 1))
    throw ValueError("whole_run_step " + std::to_string(options_.whole_run_step()) + " is outside (0, 1]");
  if (options_.n_startup_trials() < 0)
    throw ValueError("n_startup_trials " + std::to_string(options_.n_startup_trials()) + " is negative");
  if (options_.pruning_warmup_steps() && *options_.pruning_warmup_steps() < 0)
    throw ValueError("pruning_warmup_steps " + std::to_string(*options_.pruning_warmup_steps()) + " is negative");
  if (options_.max_param_elements() < 1)
    throw ValueError("max_param_elements " + std::to_string(options_.max_param_elements()) + " is below 1");
}

void HypergradientSampler::before_trial(Study& study, const FrozenTrial& trial) {
  base_->before_trial(study, trial);
  HybridMode mode = HybridMode::Startup;
  std::optional<int> parent;
  if (trial.number >= options_.n_startup_trials()) {
    mode = HybridMode::Explore;
    if (!study.is_multi_objective() && rng_.uniform01(trial.number, kModeAttr) < options_.exploit_fraction()) {
      try {
        parent = study.best_trial().number;
        mode = HybridMode::Exploit;
      } catch (const NotFoundError&) {
        // Nothing completed yet: explore.
      }
    }
  }
  study.storage()->set_trial_system_attr(trial.trial_id, kModeAttr, to_string(mode));
  if (parent) study.storage()->set_trial_system_attr(trial.trial_id, kParentAttr, *parent);
}

bool HypergradientSampler::exploiting(const FrozenTrial& trial) {
  auto parent = trial.system_attrs.find(kParentAttr);
  return parent != trial.system_attrs.end() && parent->second.is_number_integer();
}

SearchSpace HypergradientSampler::infer_relative_search_space(const Study& study, const FrozenTrial& trial) {
  return exploiting(trial) ? SearchSpace{} : base_->infer_relative_search_space(study, trial);
}

std::map<std::string, double> HypergradientSampler::sample_relative(const Study& study, const FrozenTrial& trial,
                                                                    const SearchSpace& search_space) {
  return exploiting(trial) ? std::map<std::string, double>{}
                           : base_->sample_relative(study, trial, search_space);
}

double HypergradientSampler::perturb(const FloatDistribution& d, double parent_value, const FrozenTrial& trial,
                                     const std::string& param_name) const {
  // Box-Muller from two keyed uniforms: a standard normal that depends only on the seed,
  // the trial number and the parameter name.
  double u1 = std::max(rng_.uniform01(trial.number, param_name, 1), 1e-300);
  double u2 = rng_.uniform01(trial.number, param_name, 2);
  double normal = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  double lo = to_space(d, d.low), hi = to_space(d, d.high);
  double s = to_space(d, std::clamp(parent_value, d.low, d.high)) + options_.perturbation() * (hi - lo) * normal;
  return std::clamp(from_space(d, std::clamp(s, lo, hi)), d.low, d.high);
}

double HypergradientSampler::sample_independent(const Study& study, const FrozenTrial& trial,
                                                const std::string& param_name, const Distribution& distribution) {
  if (exploiting(trial)) {
    int parent_number = trial.system_attrs.at(kParentAttr).get<int>();
    FrozenTrial parent = study.storage()->get_trial(
        study.storage()->get_trial_id_from_study_id_trial_number(study.study_id(), parent_number));
    auto value = parent.params.find(param_name);
    auto parent_distribution = parent.distributions.find(param_name);
    if (value != parent.params.end() && parent_distribution->second.index() == distribution.index()) {
      double internal = to_internal(parent_distribution->second, value->second);
      const auto* f = std::get_if<FloatDistribution>(&distribution);
      if (f && !f->step) return perturb(*f, internal, trial, param_name);
      // Discrete parameters start where the parent was, if that is still allowed.
      if (contains(distribution, internal)) return internal;
    }
  }
  return base_->sample_independent(study, trial, param_name, distribution);
}

void HypergradientSampler::after_trial(Study& study, const FrozenTrial& trial, TrialState state,
                                       const std::optional<std::vector<double>>& values) {
  base_->after_trial(study, trial, state, values);
}

}  // namespace hpo
