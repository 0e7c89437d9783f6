#include "trial_records.hpp"

#include <cstdio>
#include <ctime>

namespace hpo::cli {

namespace {

Json optional_datetime(const std::optional<TimePoint>& time) {
  return time ? Json(format_datetime(*time)) : Json(nullptr);
}

}  // namespace

std::string format_datetime(const TimePoint& time) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string format_duration(Clock::duration duration) {
  const long long micros = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  const long long total_seconds = micros / 1000000;
  char text[48];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld.%06lld", total_seconds / 3600,
                total_seconds / 60 % 60, total_seconds % 60, micros % 1000000);
  return text;
}

std::vector<Record> trial_records(const std::vector<FrozenTrial>& trials, std::size_t n_objectives) {
  bool any_user_attrs = false;
  for (const FrozenTrial& trial : trials) any_user_attrs = any_user_attrs || !trial.user_attrs.empty();

  std::vector<Record> records;
  for (const FrozenTrial& trial : trials) {
    Record record{{"number", trial.number}};
    if (n_objectives == 1) {
      record.emplace_back("value", trial.values.empty() ? Json(nullptr) : Json(trial.values[0]));
    } else {
      record.emplace_back("values", trial.values.empty() ? Json(nullptr) : Json(trial.values));
    }
    record.emplace_back("datetime_start", optional_datetime(trial.datetime_start));
    record.emplace_back("datetime_complete", optional_datetime(trial.datetime_complete));
    const bool has_duration = trial.datetime_start && trial.datetime_complete;
    record.emplace_back("duration", has_duration ? Json(format_duration(*trial.datetime_complete -
                                                                        *trial.datetime_start))
                                                 : Json(nullptr));
    record.emplace_back("params", Json(trial.params));
    if (any_user_attrs) record.emplace_back("user_attrs", Json(trial.user_attrs));
    record.emplace_back("state", to_string(trial.state));
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<Record> study_records(const std::vector<StudySummary>& studies) {
  bool any_user_attrs = false;
  for (const StudySummary& study : studies) any_user_attrs = any_user_attrs || !study.user_attrs.empty();

  std::vector<Record> records;
  for (const StudySummary& study : studies) {
    Json directions = Json::array();
    for (StudyDirection direction : study.directions) directions.push_back(to_string(direction));
    Record record{{"name", study.study_name},
                  {"directions", directions},
                  {"n_trials", study.n_trials},
                  {"datetime_start", optional_datetime(study.datetime_start)}};
    if (any_user_attrs) record.emplace_back("user_attrs", Json(study.user_attrs));
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace hpo::cli
