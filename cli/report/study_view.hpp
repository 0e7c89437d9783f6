#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hpo/frozen_trial.hpp"
#include "hpo/study.hpp"

namespace hpo::cli {

// What a report shows, read from the storage once so that every plot agrees.
struct StudyView {
  std::string name;
  std::vector<StudyDirection> directions;
  AttrMap user_attrs;
  AttrMap system_attrs;
  std::vector<FrozenTrial> trials;  // by number
  std::vector<int> pareto_front;    // numbers of the Pareto-optimal trials (several objectives)
};

StudyView read_study_view(const Study& study);

// A COMPLETE trial with a finite value for every objective.
bool has_finite_values(const FrozenTrial& trial);
// True when value `a` is better than `b` in `direction`.
bool is_better(double a, double b, StudyDirection direction);
// The COMPLETE trials with finite values, best first by the first objective.
std::vector<const FrozenTrial*> complete_trials_best_first(const StudyView& study);
// "minimize" or "maximize"; "objective 1 (minimize)" with several objectives.
std::string objective_title(const StudyView& study, std::size_t objective);

}  // namespace hpo::cli
