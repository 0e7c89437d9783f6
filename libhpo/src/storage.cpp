#include "hpo/storage.hpp"

#include <algorithm>

#include "hpo/error.hpp"

namespace hpo {

bool state_selected(TrialState state, const std::optional<std::vector<TrialState>>& states) {
  return !states || std::find(states->begin(), states->end(), state) != states->end();
}

std::vector<FrozenTrial> Storage::get_all_trials(std::int64_t study_id,
                                                 const std::optional<std::vector<TrialState>>& states) {
  std::vector<FrozenTrial> trials;
  for (const SharedTrial& trial : get_all_trials_shared(study_id, states)) trials.push_back(*trial);
  return trials;
}

int Storage::get_n_trials(std::int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  return static_cast<int>(get_all_trials_shared(study_id, states).size());
}

FrozenTrial Storage::get_best_trial(std::int64_t study_id) {
  auto directions = get_study_directions(study_id);
  if (directions.size() != 1)
    throw Error("study " + get_study_name_from_id(study_id) + " has " +
                std::to_string(directions.size()) +
                " objectives; best_trial needs a single-objective study (use best_trials)");
  bool maximize = directions[0] == StudyDirection::Maximize;
  const FrozenTrial* best = nullptr;
  const auto trials = get_all_trials_shared(study_id, std::vector<TrialState>{TrialState::Complete});
  for (const SharedTrial& t : trials) {
    if (t->values.size() != 1) continue;
    if (!best || (maximize ? t->values[0] > best->values[0] : t->values[0] < best->values[0])) best = t.get();
  }
  if (!best)
    throw NotFoundError("study '" + get_study_name_from_id(study_id) +
                        "' has no COMPLETE trial yet, so no best trial");
  return *best;
}

}  // namespace hpo
