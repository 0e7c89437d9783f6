#pragma once

#include <string>
#include <string_view>

namespace hpo {

// Stored by name (RUNNING, COMPLETE, ...) exactly as Optuna stores its enum.
enum class TrialState { Running, Complete, Pruned, Fail, Waiting };
enum class StudyDirection { Minimize, Maximize };

std::string to_string(TrialState state);
std::string to_string(StudyDirection direction);
// Accept the stored upper-case names and, for the CLI, lower case. Throw hpo::ValueError.
TrialState trial_state_from_string(std::string_view name);
StudyDirection study_direction_from_string(std::string_view name);

inline bool is_finished(TrialState s) {
  return s == TrialState::Complete || s == TrialState::Pruned || s == TrialState::Fail;
}

}  // namespace hpo
