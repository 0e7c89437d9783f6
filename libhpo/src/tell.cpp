// Optuna's _tell.py: finishing a trial, from tell() and from the optimize loop.
#include "hpo/study.hpp"

#include <cmath>

#include "hpo/error.hpp"

namespace hpo {
namespace {

std::string join_values(const std::vector<double>& values) {
  std::string s = "[";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + dump_json(Json(values[i]));
  return s + "]";
}

}  // namespace

FrozenTrial Study::finish_trial(const FrozenTrial& trial, std::optional<std::vector<double>> values,
                                TrialState state, const std::string& fail_reason) {
  const std::int64_t trial_id = trial.trial_id;
  std::string reason = fail_reason;
  if (state == TrialState::Pruned) {
    values.reset();
    if (auto step = trial.last_step(); step && !std::isnan(trial.intermediate_values.at(*step)))
      values = std::vector<double>{trial.intermediate_values.at(*step)};
  } else if (state == TrialState::Fail) {
    values.reset();
  } else if (state == TrialState::Complete) {
    if (!values || values->size() != directions_.size()) {
      state = TrialState::Fail;
      reason = "the objective returned " + (values ? join_values(*values) : std::string("nothing")) +
               ", expected " + std::to_string(directions_.size()) + " value(s)";
      values.reset();
    } else {
      for (double v : *values)
        if (std::isnan(v)) {
          state = TrialState::Fail;
          reason = "the objective returned " + join_values(*values) + ", which contains NaN";
          values.reset();
          break;
        }
    }
  } else {
    throw ValueError("cannot finish trial " + std::to_string(trial.number) + " as " + to_string(state) +
                     ", expected COMPLETE, PRUNED or FAIL");
  }
  if (!reason.empty()) storage_->set_trial_system_attr(trial_id, "fail_reason", reason);
  try {
    sampler_->after_trial(*this, trial, state, values);
  } catch (...) {
    storage_->set_trial_state_values(trial_id, state, values.value_or(std::vector<double>{}));
    throw;
  }
  storage_->set_trial_state_values(trial_id, state, values.value_or(std::vector<double>{}));
  return storage_->get_trial(trial_id);
}

FrozenTrial Study::tell(int trial_number, const std::vector<double>& values, TrialState state,
                        bool skip_if_finished) {
  return tell(trial_number, values, state, skip_if_finished, nullptr);
}

FrozenTrial Study::tell(int trial_number, const std::vector<double>& values, TrialState state,
                        bool skip_if_finished, Trial* handle) {
  if (state == TrialState::Complete && values.size() != directions_.size())
    throw ValueError("told " + std::to_string(values.size()) + " value(s) for trial " +
                     std::to_string(trial_number) + ", expected " + std::to_string(directions_.size()) +
                     " (one per objective)");
  FrozenTrial trial =
      storage_->get_trial(storage_->get_trial_id_from_study_id_trial_number(study_id_, trial_number));
  if (is_finished(trial.state)) {
    if (skip_if_finished) return trial;
    throw UpdateFinishedTrialError("trial " + std::to_string(trial.number) + " is already " +
                                   to_string(trial.state) + ", expected a RUNNING or WAITING trial");
  }
  std::string reason;
  if (handle) {
    handle->finalize(state, reason);
    trial = handle->snapshot();  // with the finalizers' writes
  }
  return finish_trial(trial, values, state, reason);
}

FrozenTrial Study::tell(Trial& trial, double value) {
  return tell(trial.number(), std::vector<double>{value}, TrialState::Complete, false, &trial);
}
FrozenTrial Study::tell(Trial& trial, const std::vector<double>& values) {
  return tell(trial.number(), values, TrialState::Complete, false, &trial);
}
FrozenTrial Study::tell(Trial& trial, TrialState state) { return tell(trial.number(), {}, state, false, &trial); }

}  // namespace hpo
