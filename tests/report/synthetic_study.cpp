#include "synthetic_study.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>

namespace hpo::report_test {

namespace {

const FloatDistribution kPenalty(1e-5, 1.0, /*log=*/true);
const CategoricalDistribution kOptimizer({Json("sgd"), Json("adam")});

struct Draw {
  FrozenTrial trial;
  std::map<std::string, double> initial;
};

// Params and value of one trial; the refined values lie closer to the optimum than the
// initial ones, as hypergradient steps would move them.
Draw draw_trial(std::mt19937_64& rng, int n_features) {
  std::uniform_real_distribution<double> log_penalty(-5, 0), noise(-0.02, 0.02), start_offset(-1.2, 1.2);
  Draw draw;
  FrozenTrial& trial = draw.trial;
  const auto add_penalty = [&](const std::string& name, double optimum_log10, double weight) {
    const double refined_log10 = log_penalty(rng);
    const double initial_log10 = std::clamp(refined_log10 + start_offset(rng), -5.0, 0.0);
    trial.params[name] = std::pow(10.0, refined_log10);
    trial.distributions.emplace(name, kPenalty);
    draw.initial[name] = std::pow(10.0, initial_log10);
    return weight * (refined_log10 - optimum_log10) * (refined_log10 - optimum_log10);
  };
  double value = 0.2 + add_penalty("l2", -2, 0.05);
  for (int i = 0; i < n_features; ++i) {
    value += add_penalty("feature_l2[" + std::to_string(i) + "]", -3, 0.002);
  }
  const bool adam = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
  trial.params["optimizer"] = adam ? "adam" : "sgd";
  trial.distributions.emplace("optimizer", kOptimizer);
  trial.values = {value + (adam ? 0 : 0.01) + noise(rng)};
  return draw;
}

}  // namespace

std::int64_t add_synthetic_study(Storage& storage, const std::string& name, const SyntheticStudyOptions& options) {
  const std::int64_t study_id = storage.create_new_study({StudyDirection::Minimize}, name);
  storage.set_study_user_attr(study_id, "dataset", "synthetic");
  std::mt19937_64 rng(options.seed());
  const TimePoint origin = Clock::from_time_t(1767225600);  // 2026-01-01
  std::optional<std::pair<double, int>> best;
  for (int number = 0; number < options.n_trials(); ++number) {
    Draw draw = draw_trial(rng, options.n_features());
    FrozenTrial& trial = draw.trial;
    const double value = trial.values[0];
    trial.state = number % 9 == 8 ? TrialState::Fail : number % 7 == 6 ? TrialState::Pruned : TrialState::Complete;
    trial.datetime_start = origin + std::chrono::seconds(2 * number);
    trial.datetime_complete = *trial.datetime_start + std::chrono::milliseconds(1500);
    const int steps = trial.state == TrialState::Pruned ? 2 : options.hyper_steps();
    std::vector<double> norms;
    for (int step = 0; step < steps; ++step) {
      trial.intermediate_values[step] = value * (1 + 0.5 * std::exp(-step));
      norms.push_back(0.5 * std::pow(0.6, step) * (1 + 0.1 * (number % 3)));
    }
    if (trial.state == TrialState::Pruned) trial.values = {trial.intermediate_values.rbegin()->second};
    if (trial.state == TrialState::Fail) trial.values.clear();
    if (options.hybrid()) {
      const bool startup = number < 5;
      const bool exploit = !startup && best && number % 2 == 0;
      trial.system_attrs["hybrid:mode"] = startup ? "startup" : exploit ? "exploit" : "explore";
      if (exploit) trial.system_attrs["hybrid:parent"] = best->second;
      Json initial = Json::object();
      for (const auto& [param, initial_value] : draw.initial) initial[param] = initial_value;
      trial.system_attrs["hypergrad"] = {{"method", "cg"},
                                         {"initial_params", initial},
                                         {"hypergradient_norms", norms},
                                         {"hyper_steps", steps}};
    }
    if (trial.state == TrialState::Complete && (!best || value < best->first)) best = std::make_pair(value, number);
    storage.create_new_trial(study_id, &trial);
  }
  return study_id;
}

int add_synthetic_trial(Storage& storage, std::int64_t study_id, int seed) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  Draw draw = draw_trial(rng, 2);
  draw.trial.state = TrialState::Complete;
  draw.trial.datetime_start = Clock::now();
  draw.trial.datetime_complete = Clock::now();
  const std::int64_t trial_id = storage.create_new_trial(study_id, &draw.trial);
  return storage.get_trial(trial_id).number;
}

}  // namespace hpo::report_test
