#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hpo/distributions.hpp"
#include "hpo/json.hpp"
#include "hpo/trial_state.hpp"

namespace hpo {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;
using AttrMap = std::map<std::string, Json>;
// External parameter values (what the objective saw), keyed by name.
using ParamMap = std::map<std::string, Json>;

// A snapshot of one trial as the storage holds it.
struct FrozenTrial {
  std::int64_t trial_id = -1;
  int number = -1;
  TrialState state = TrialState::Running;
  std::vector<double> values;  // one per objective; empty until the trial finishes
  std::optional<TimePoint> datetime_start;
  std::optional<TimePoint> datetime_complete;
  ParamMap params;
  std::map<std::string, Distribution> distributions;
  std::map<std::int64_t, double> intermediate_values;
  AttrMap user_attrs;
  AttrMap system_attrs;

  // The single objective value; throws hpo::Error for a multi-objective trial or no value.
  double value() const;
  // Internal representation of a parameter (see distributions.hpp).
  double internal_param(const std::string& name) const;
  std::optional<std::int64_t> last_step() const;
};

struct FrozenStudy {
  std::int64_t study_id = -1;
  std::string study_name;
  std::vector<StudyDirection> directions;
  AttrMap user_attrs;
  AttrMap system_attrs;
};

}  // namespace hpo
