#pragma once

#include <string>
#include <vector>

#include "hpo/frozen_trial.hpp"
#include "hpo/study.hpp"
#include "records.hpp"

namespace hpo::cli {

// "YYYY-MM-DD HH:MM:SS" in local time, as Optuna's CLI shows datetimes.
std::string format_datetime(const TimePoint& time);
// "H:MM:SS.ffffff", as Python prints a timedelta.
std::string format_duration(Clock::duration duration);

// number, value (or values for several objectives), datetime_start, datetime_complete,
// duration, params, user_attrs (when any trial has some), state — Optuna's columns.
std::vector<Record> trial_records(const std::vector<FrozenTrial>& trials, std::size_t n_objectives);

// name, directions, n_trials, datetime_start, user_attrs (when any study has some).
std::vector<Record> study_records(const std::vector<StudySummary>& studies);

}  // namespace hpo::cli
