#include "trial_split.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "multi_objective.hpp"

namespace hpo::tpe {
namespace {

constexpr double kEps = 1e-12;

// Optuna's rank of a PRUNED trial (smaller is better): deeper trials first, then the last
// intermediate value (NaN last); a trial that reported nothing after all of them.
std::pair<double, double> pruned_score(const FrozenTrial& t, StudyDirection direction) {
  if (t.intermediate_values.empty()) return {1.0, 0.0};
  const auto& [step, value] = *t.intermediate_values.rbegin();
  const double depth = -static_cast<double>(step);
  if (std::isnan(value)) return {depth, std::numeric_limits<double>::infinity()};
  return {depth, direction == StudyDirection::Minimize ? value : -value};
}

std::vector<double> loss_vector(const FrozenTrial& t, const std::vector<StudyDirection>& directions) {
  std::vector<double> loss(directions.size());
  for (std::size_t i = 0; i < directions.size(); ++i)
    loss[i] = directions[i] == StudyDirection::Maximize ? -t.values.at(i) : t.values.at(i);
  return loss;
}

// Marks the first `count` of `indices` in the order a stable sort by `less` would give
// them: only which ones, not their order, so a selection suffices.
template <typename Less>
void mark_first(std::vector<std::size_t> indices, std::size_t count, Less less, std::vector<bool>& marked) {
  count = std::min(count, indices.size());
  if (count == 0) return;
  const auto stable_less = [&less](std::size_t a, std::size_t b) { return less(a, b) || (!less(b, a) && a < b); };
  std::nth_element(indices.begin(), indices.begin() + static_cast<std::ptrdiff_t>(count - 1), indices.end(),
                   stable_less);
  for (std::size_t k = 0; k < count; ++k) marked[indices[k]] = true;
}

}  // namespace

TrialSplit split_trials(const std::vector<const FrozenTrial*>& trials, int n_below,
                        const std::vector<StudyDirection>& directions) {
  std::vector<std::size_t> complete, pruned;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    if (trials[i]->state == TrialState::Complete) complete.push_back(i);
    if (trials[i]->state == TrialState::Pruned) pruned.push_back(i);
  }
  std::size_t wanted = static_cast<std::size_t>(std::max(n_below, 0));
  std::vector<bool> is_below(trials.size(), false);
  if (directions.size() == 1) {
    const bool minimize = directions[0] == StudyDirection::Minimize;
    std::vector<double> value(trials.size());  // contiguous, for the selection's comparisons
    for (std::size_t i : complete) value[i] = trials[i]->values[0];
    mark_first(complete, wanted, [&](std::size_t a, std::size_t b) {
      return minimize ? value[a] < value[b] : value[a] > value[b];
    }, is_below);
  } else {
    Points losses;
    for (std::size_t i : complete) losses.push_back(loss_vector(*trials[i], directions));
    for (std::size_t k : select_best(losses, wanted)) is_below[complete[k]] = true;
  }
  wanted -= std::min(wanted, complete.size());
  // Multi-objective trials cannot report, so their pruned trials all score alike and the
  // first direction serves.
  mark_first(pruned, wanted, [&](std::size_t a, std::size_t b) {
    return pruned_score(*trials[a], directions[0]) < pruned_score(*trials[b], directions[0]);
  }, is_below);

  TrialSplit split;
  for (std::size_t i = 0; i < trials.size(); ++i) (is_below[i] ? split.below : split.above).push_back(i);
  if (directions.size() > 1) {
    // Kernels of l weighted by hypervolume contribution among the below trials.
    Points losses;
    std::vector<std::size_t> positions;
    for (std::size_t k = 0; k < split.below.size(); ++k)
      if (trials[split.below[k]]->state == TrialState::Complete) {
        losses.push_back(loss_vector(*trials[split.below[k]], directions));
        positions.push_back(k);
      }
    split.below_weights.assign(split.below.size(), kEps);
    const std::vector<double> w = hypervolume_weights(losses);
    for (std::size_t j = 0; j < positions.size(); ++j) split.below_weights[positions[j]] = w[j];
  }
  return split;
}

}  // namespace hpo::tpe
