// Optuna's _multi_objective.py: the Pareto front.
#include "hpo/study.hpp"

namespace hpo {
namespace {

bool dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<StudyDirection>& directions) {
  bool strictly_better = false;
  for (std::size_t i = 0; i < directions.size(); ++i) {
    double x = directions[i] == StudyDirection::Maximize ? -a[i] : a[i];
    double y = directions[i] == StudyDirection::Maximize ? -b[i] : b[i];
    if (x > y) return false;
    if (x < y) strictly_better = true;
  }
  return strictly_better;
}

}  // namespace

std::vector<FrozenTrial> Study::best_trials() const {
  auto complete = trials(std::vector<TrialState>{TrialState::Complete});
  std::vector<FrozenTrial> front;
  for (const auto& t : complete) {
    bool dominated = false;
    for (const auto& other : complete)
      if (dominates(other.values, t.values, directions_)) {
        dominated = true;
        break;
      }
    if (!dominated) front.push_back(t);
  }
  return front;
}

}  // namespace hpo
