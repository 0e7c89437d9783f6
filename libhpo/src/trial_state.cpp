#include "hpo/trial_state.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "hpo/error.hpp"

namespace hpo {
namespace {

constexpr std::array<std::pair<TrialState, const char*>, 5> kStates{{
    {TrialState::Running, "RUNNING"},
    {TrialState::Complete, "COMPLETE"},
    {TrialState::Pruned, "PRUNED"},
    {TrialState::Fail, "FAIL"},
    {TrialState::Waiting, "WAITING"},
}};
constexpr std::array<std::pair<StudyDirection, const char*>, 2> kDirections{{
    {StudyDirection::Minimize, "MINIMIZE"},
    {StudyDirection::Maximize, "MAXIMIZE"},
}};

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

template <typename Enum, std::size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& table, Enum e) {
  for (const auto& [value, name] : table)
    if (value == e) return name;
  throw Error("unknown enum value " + std::to_string(static_cast<int>(e)));
}

template <typename Enum, std::size_t N>
Enum parse(const std::array<std::pair<Enum, const char*>, N>& table, std::string_view text,
           const char* what) {
  std::string key = upper(text);
  std::string expected;
  for (const auto& [value, name] : table) {
    if (key == name) return value;
    expected += expected.empty() ? name : std::string("|") + name;
  }
  throw ValueError(std::string("unknown ") + what + " '" + std::string(text) + "', expected one of " +
                   expected);
}

}  // namespace

std::string to_string(TrialState state) { return name_of(kStates, state); }
std::string to_string(StudyDirection direction) { return name_of(kDirections, direction); }
TrialState trial_state_from_string(std::string_view name) {
  return parse(kStates, name, "trial state");
}
StudyDirection study_direction_from_string(std::string_view name) {
  return parse(kDirections, name, "study direction");
}

}  // namespace hpo
