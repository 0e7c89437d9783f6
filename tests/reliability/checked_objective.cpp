#include "checked_objective.hpp"

#include <algorithm>
#include <vector>

namespace hpo::reliability {
namespace {

const std::vector<Json> kChoices = {"a", "b", "c"};

double value_of(double x, std::int64_t n, std::size_t choice) {
  return x * x + static_cast<double>(n) + static_cast<double>(choice);
}

// Step s reports value + (steps - s): decreasing, ending one above the final value.
double intermediate_of(double value, int steps, std::int64_t step) {
  return value + static_cast<double>(steps - step);
}

}  // namespace

double checked_objective(Trial& trial, int steps) {
  const double x = trial.suggest_float("x", -5.0, 5.0);
  const std::int64_t n = trial.suggest_int("n", 0, 10);
  const Json c = trial.suggest_categorical("c", kChoices);
  const std::size_t choice = static_cast<std::size_t>(
      std::find(kChoices.begin(), kChoices.end(), c) - kChoices.begin());
  const double value = value_of(x, n, choice);
  for (int step = 0; step < steps; ++step) trial.report(intermediate_of(value, steps, step), step);
  trial.set_user_attr("expected", value);
  return value;
}

std::string check_complete_trial(const FrozenTrial& trial, int steps) {
  const std::string which = "trial " + std::to_string(trial.number) + ": ";
  if (trial.state != TrialState::Complete) return which + "state " + to_string(trial.state);
  if (trial.params.size() != 3 || !trial.params.count("x") || !trial.params.count("n") ||
      !trial.params.count("c")) {
    return which + "params " + dump_json(Json(trial.params));
  }
  const auto choice = std::find(kChoices.begin(), kChoices.end(), trial.params.at("c"));
  if (choice == kChoices.end()) return which + "unknown choice " + dump_json(trial.params.at("c"));
  const double value = value_of(trial.params.at("x").get<double>(), trial.params.at("n").get<std::int64_t>(),
                                static_cast<std::size_t>(choice - kChoices.begin()));
  if (trial.values != std::vector<double>{value}) return which + "value does not match its params";
  if (!trial.user_attrs.count("expected") || trial.user_attrs.at("expected") != Json(value)) {
    return which + "user attribute 'expected' does not match its params";
  }
  if (trial.intermediate_values.size() != static_cast<std::size_t>(steps)) {
    return which + std::to_string(trial.intermediate_values.size()) + " intermediate values, expected " +
           std::to_string(steps);
  }
  for (const auto& [step, reported] : trial.intermediate_values) {
    if (reported != intermediate_of(value, steps, step)) {
      return which + "intermediate value at step " + std::to_string(step) + " does not match";
    }
  }
  if (!trial.datetime_start || !trial.datetime_complete) return which + "missing start or completion time";
  return "";
}

}  // namespace hpo::reliability
