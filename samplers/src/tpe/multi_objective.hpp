#pragma once

#include <cstddef>
#include <vector>

// MOTPE's pieces (Optuna's _split_complete_trials_multi_objective and
// _calculate_weights_below_for_multi_objective). Points are loss vectors: every objective
// minimized (maximized ones negated).
namespace hpo::tpe {

using Points = std::vector<std::vector<double>>;

// Hypervolume dominated by `points` up to `reference` (points not below it add nothing).
double hypervolume(const Points& points, const std::vector<double>& reference);

// Indices of the n_below best points: whole non-domination ranks first, the last rank that
// does not fit completed by greedy hypervolume subset selection. Sorted ascending.
std::vector<std::size_t> select_best(const Points& points, std::size_t n_below);

// Weights of the "below" kernels: each point's hypervolume contribution relative to the
// largest (at least 1e-12); off-front points get 1e-12.
std::vector<double> hypervolume_weights(const Points& points);

}  // namespace hpo::tpe
