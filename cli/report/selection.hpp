#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hpo/frozen_trial.hpp"

namespace hpo::cli {

// The trials one plot draws: all of them, or a readable sample and a sentence saying so.
struct Selection {
  std::vector<const FrozenTrial*> trials;  // by number
  std::string note;                        // empty when nothing was left out
};

// All `candidates` when there are at most `limit`; else the limit/4 best by the first
// objective (trials without a value rank last) and evenly spaced others by number.
// `what` names the candidates in the note ("trials with intermediate values").
Selection select_trials(std::vector<const FrozenTrial*> candidates, std::size_t limit, StudyDirection direction,
                        const std::string& what);

}  // namespace hpo::cli
