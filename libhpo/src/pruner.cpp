#include "hpo/pruner.hpp"

#include <algorithm>
#include <cmath>

#include "hpo/error.hpp"
#include "hpo/study.hpp"

namespace hpo {
namespace {

// numpy.nanpercentile with linear interpolation.
double nan_percentile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// Only the first report at or after each pruning step (warm-up + k * interval) is judged,
// so a trial reporting every step is not asked about more often than the interval says.
bool is_first_in_interval(std::int64_t step, const std::map<std::int64_t, double>& values,
                          std::int64_t n_warmup, std::int64_t interval) {
  std::int64_t nearest_lower = (step - n_warmup) / interval * interval + n_warmup;
  std::int64_t second_last = -1;
  for (const auto& [s, v] : values)
    if (s > second_last && s != step) second_last = s;
  return second_last < nearest_lower;
}

}  // namespace

bool NopPruner::prune(const Study&, const FrozenTrial&) { return false; }

PercentilePruner::PercentilePruner(double percentile, PercentilePrunerOptions options)
    : percentile_(percentile), options_(options) {
  if (!(percentile >= 0 && percentile <= 100))
    throw ValueError("percentile " + std::to_string(percentile) + " is outside [0, 100]");
  if (options.n_startup_trials() < 0)
    throw ValueError("n_startup_trials " + std::to_string(options.n_startup_trials()) +
                     " is negative, expected >= 0");
  if (options.n_warmup_steps() < 0)
    throw ValueError("n_warmup_steps " + std::to_string(options.n_warmup_steps()) +
                     " is negative, expected >= 0");
  if (options.interval_steps() < 1)
    throw ValueError("interval_steps " + std::to_string(options.interval_steps()) +
                     " is below 1, expected >= 1");
  if (options.n_min_trials() < 1)
    throw ValueError("n_min_trials " + std::to_string(options.n_min_trials()) +
                     " is below 1, expected >= 1");
}

bool PercentilePruner::prune(const Study& study, const FrozenTrial& trial) {
  if (study.is_multi_objective())
    throw Error("PercentilePruner/MedianPruner supports single-objective studies only");
  auto step = trial.last_step();
  if (!step || *step < options_.n_warmup_steps()) return false;
  if (!is_first_in_interval(*step, trial.intermediate_values, options_.n_warmup_steps(),
                            options_.interval_steps()))
    return false;
  const auto completed = study.trials_shared(std::vector<TrialState>{TrialState::Complete});
  if (completed.empty() || static_cast<int>(completed.size()) < options_.n_startup_trials()) return false;

  bool maximize = study.direction() == StudyDirection::Maximize;
  double best = std::nan("");
  for (const auto& [s, v] : trial.intermediate_values) {
    if (std::isnan(v)) continue;
    if (std::isnan(best) || (maximize ? v > best : v < best)) best = v;
  }
  if (std::isnan(best)) return true;  // only NaN reported: the trial has diverged

  std::vector<double> others;
  for (const SharedTrial& t : completed) {
    auto it = t->intermediate_values.find(*step);
    if (it != t->intermediate_values.end()) others.push_back(it->second);
  }
  if (static_cast<int>(others.size()) < options_.n_min_trials()) return false;
  double p = nan_percentile(others, maximize ? 100.0 - percentile_ : percentile_);
  if (std::isnan(p)) return false;
  return maximize ? best < p : best > p;
}

}  // namespace hpo
