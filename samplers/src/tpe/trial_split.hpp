#pragma once

#include <cstddef>
#include <vector>

#include "hpo/frozen_trial.hpp"

namespace hpo::tpe {

// The trials behind l(x) and g(x), as indices into the trials given (ascending).
struct TrialSplit {
  std::vector<std::size_t> below;
  std::vector<std::size_t> above;
  // Multi-objective studies: the weight of each below trial's kernel; empty otherwise.
  std::vector<double> below_weights;
};

// Optuna's _split_trials: the n_below best COMPLETE trials (by value, or by non-domination
// rank for several objectives), then if places remain the best PRUNED ones (deeper first,
// then by last intermediate value); everything else, RUNNING trials included, is above.
TrialSplit split_trials(const std::vector<const FrozenTrial*>& trials, int n_below,
                        const std::vector<StudyDirection>& directions);

}  // namespace hpo::tpe
