#include "report/study_view.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace hpo::cli {

StudyView read_study_view(const Study& study) {
  StudyView view;
  view.name = study.study_name();
  view.directions = study.directions();
  view.user_attrs = study.user_attrs();
  view.system_attrs = study.system_attrs();
  view.trials = study.trials();
  if (study.is_multi_objective()) {
    for (const FrozenTrial& trial : study.best_trials()) view.pareto_front.push_back(trial.number);
  }
  return view;
}

bool has_finite_values(const FrozenTrial& trial) {
  return trial.state == TrialState::Complete && !trial.values.empty() &&
         std::all_of(trial.values.begin(), trial.values.end(), [](double v) { return std::isfinite(v); });
}

bool is_better(double a, double b, StudyDirection direction) {
  return direction == StudyDirection::Minimize ? a < b : a > b;
}

std::vector<const FrozenTrial*> complete_trials_best_first(const StudyView& study) {
  std::vector<const FrozenTrial*> complete;
  for (const FrozenTrial& trial : study.trials) {
    if (has_finite_values(trial) && trial.values.size() == study.directions.size()) complete.push_back(&trial);
  }
  const StudyDirection direction = study.directions.front();
  std::stable_sort(complete.begin(), complete.end(), [&](const FrozenTrial* a, const FrozenTrial* b) {
    return is_better(a->values[0], b->values[0], direction);
  });
  return complete;
}

std::string objective_title(const StudyView& study, std::size_t objective) {
  const std::string direction = to_string(study.directions[objective]);
  std::string lower(direction.size(), ' ');
  std::transform(direction.begin(), direction.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (study.directions.size() == 1) return "objective value (" + lower + ")";
  return "objective " + std::to_string(objective) + " (" + lower + ")";
}

}  // namespace hpo::cli
