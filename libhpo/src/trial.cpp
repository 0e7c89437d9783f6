#include "hpo/trial.hpp"

#include <cmath>

#include "hpo/error.hpp"
#include "hpo/study.hpp"

namespace hpo {

Trial::Trial(Study study, std::int64_t trial_id)
    : study_(std::move(study)), trial_id_(trial_id), cache_(study_.storage()->get_trial(trial_id)) {
  number_ = cache_.number;
  relative_search_space_ = study_.sampler()->infer_relative_search_space(study_, cache_);
  relative_params_ = study_.sampler()->sample_relative(study_, cache_, relative_search_space_);
}

double Trial::suggest(const std::string& name, const Distribution& distribution) {
  if (auto known = cache_.distributions.find(name); known != cache_.distributions.end()) {
    check_distribution_compatibility(name, known->second, distribution);
    return to_internal(known->second, cache_.params.at(name));
  }
  double internal;
  auto fixed = cache_.system_attrs.find("fixed_params");
  if (fixed != cache_.system_attrs.end() && fixed->second.contains(name)) {
    internal = to_internal(distribution, fixed->second.at(name));
  } else if (is_single(distribution)) {
    internal = std::visit(
        [](const auto& d) -> double {
          using D = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<D, CategoricalDistribution>) return 0.0;
          else return static_cast<double>(d.low);
        },
        distribution);
  } else if (auto rel = relative_params_.find(name);
             rel != relative_params_.end() && relative_search_space_.count(name) &&
             relative_search_space_.at(name).index() == distribution.index() &&
             contains(distribution, rel->second)) {
    internal = rel->second;
  } else {
    internal = study_.sampler()->sample_independent(study_, cache_, name, distribution);
  }
  study_.storage()->set_trial_param(trial_id_, name, internal, distribution);
  cache_.distributions.insert_or_assign(name, distribution);
  cache_.params[name] = to_external(distribution, internal);
  return internal;
}

void Trial::update_param(const std::string& name, double internal) {
  auto known = cache_.distributions.find(name);
  if (known == cache_.distributions.end())
    throw ValueError("trial " + std::to_string(number_) + " has no parameter '" + name +
                     "' to update, expected one suggested earlier");
  if (!contains(known->second, internal))
    throw ValueError("value " + dump_json(Json(internal)) + " for parameter '" + name +
                     "' lies outside " + distribution_to_json(known->second));
  study_.storage()->set_trial_param(trial_id_, name, internal, known->second);
  cache_.params[name] = to_external(known->second, internal);
}

double Trial::suggest_float(const std::string& name, double low, double high, const FloatOptions& options) {
  return suggest(name, FloatDistribution(low, high, options.log(), options.step()));
}

std::int64_t Trial::suggest_int(const std::string& name, std::int64_t low, std::int64_t high,
                                const IntOptions& options) {
  return static_cast<std::int64_t>(
      std::llround(suggest(name, IntDistribution(low, high, options.log(), options.step()))));
}

Json Trial::suggest_categorical(const std::string& name, const std::vector<Json>& choices) {
  CategoricalDistribution d(choices);
  return to_external(d, suggest(name, d));
}

void Trial::report(double value, std::int64_t step) {
  if (study_.is_multi_objective())
    throw Error("trial.report is not supported for multi-objective studies (trial " +
                std::to_string(number_) + ")");
  if (step < 0)
    throw ValueError("report step " + std::to_string(step) + " is negative, expected >= 0");
  if (cache_.intermediate_values.count(step)) return;  // the first report of a step wins
  study_.storage()->set_trial_intermediate_value(trial_id_, step, value);
  cache_.intermediate_values[step] = value;
}

bool Trial::should_prune() {
  if (study_.is_multi_objective())
    throw Error("trial.should_prune is not supported for multi-objective studies");
  return study_.pruner()->prune(study_, cache_);
}

void Trial::set_user_attr(const std::string& key, const Json& value) {
  study_.storage()->set_trial_user_attr(trial_id_, key, value);
  cache_.user_attrs[key] = value;
}

void Trial::set_system_attr(const std::string& key, const Json& value) {
  study_.storage()->set_trial_system_attr(trial_id_, key, value);
  cache_.system_attrs[key] = value;
}

void Trial::add_finalizer(std::function<void(Trial&)> finalizer) {
  if (!finalizer) throw ValueError("trial " + std::to_string(number_) + " got an empty finalizer");
  finalizers_.push_back(std::move(finalizer));
}

void Trial::finalize(TrialState& state, std::string& fail_reason) {
  if (state != TrialState::Complete && state != TrialState::Pruned) return;
  const std::vector<std::function<void(Trial&)>> finalizers = std::move(finalizers_);
  finalizers_.clear();
  for (const auto& finalizer : finalizers) {
    try {
      finalizer(*this);
      continue;
    } catch (const std::exception& e) {
      fail_reason = e.what();
    } catch (...) {
      fail_reason = "a finalizer of trial " + std::to_string(number_) +
                    " threw an exception that is not a std::exception";
    }
    state = TrialState::Fail;
    return;
  }
}

}  // namespace hpo
