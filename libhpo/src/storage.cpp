#include "hpo/storage.hpp"

#include "hpo/error.hpp"

namespace hpo {

int Storage::get_n_trials(std::int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  return static_cast<int>(get_all_trials(study_id, states).size());
}

FrozenTrial Storage::get_best_trial(std::int64_t study_id) {
  auto directions = get_study_directions(study_id);
  if (directions.size() != 1)
    throw Error("study " + get_study_name_from_id(study_id) + " has " +
                std::to_string(directions.size()) +
                " objectives; best_trial needs a single-objective study (use best_trials)");
  bool maximize = directions[0] == StudyDirection::Maximize;
  auto trials = get_all_trials(study_id, std::vector<TrialState>{TrialState::Complete});
  const FrozenTrial* best = nullptr;
  for (const auto& t : trials) {
    if (t.values.size() != 1) continue;
    if (!best || (maximize ? t.values[0] > best->values[0] : t.values[0] < best->values[0])) best = &t;
  }
  if (!best)
    throw NotFoundError("study '" + get_study_name_from_id(study_id) +
                        "' has no COMPLETE trial yet, so no best trial");
  return *best;
}

}  // namespace hpo
