#include "sqlite_trial_reader.hpp"

#include <algorithm>

#include "hpo/error.hpp"
#include "sqlite_datetime.hpp"
#include "sqlite_float_encoding.hpp"

namespace hpo::sqlite {
namespace {

constexpr const char* kRowColumns =
    "SELECT trial_id, number, state, datetime_start, datetime_complete, study_id FROM trials ";

FrozenTrial trial_from_row(SQLite::Statement& row) {
  FrozenTrial trial;
  trial.trial_id = row.getColumn(0).getInt64();
  trial.number = row.getColumn(1).getInt();
  trial.state = trial_state_from_string(row.getColumn(2).getString());
  if (!row.getColumn(3).isNull()) trial.datetime_start = parse_datetime(row.getColumn(3).getString());
  if (!row.getColumn(4).isNull()) {
    trial.datetime_complete = parse_datetime(row.getColumn(4).getString());
  }
  return trial;
}

std::optional<double> nullable_double(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getDouble();
}

Json parse_attribute(const SQLite::Column& column) { return parse_json(column.getString()); }

}  // namespace

std::vector<FrozenTrial> TrialReader::read_rows(std::int64_t study_id, std::int64_t after_trial_id) {
  // trial_id > ? first: SQLite then walks the rowid range instead of the whole table
  // when the file has no index on trials.study_id (revision v3.0.0.d).
  SQLite::Statement& rows = statements_(std::string(kRowColumns) +
                                        "WHERE trial_id > ? AND study_id = ? ORDER BY trial_id");
  rows.bind(1, after_trial_id);
  rows.bind(2, study_id);
  std::vector<FrozenTrial> trials;
  while (rows.executeStep()) trials.push_back(trial_from_row(rows));
  return trials;
}

std::optional<std::pair<FrozenTrial, std::int64_t>> TrialReader::read_row(std::int64_t trial_id) {
  SQLite::Statement& row =
      statements_(std::string(kRowColumns) + "WHERE trial_id = ?");
  row.bind(1, trial_id);
  if (!row.executeStep()) return std::nullopt;
  return std::make_pair(trial_from_row(row), row.getColumn(5).getInt64());
}

void TrialReader::read_details(std::vector<FrozenTrial>& trials, std::size_t begin,
                               std::size_t end) {
  if (begin >= end) return;
  const std::int64_t low = trials[begin].trial_id;
  const std::int64_t high = trials[end - 1].trial_id;
  // Rows of trials in [low, high] that the caller did not ask for (other studies', or
  // cached ones) are skipped.
  auto find = [&](std::int64_t trial_id) -> FrozenTrial* {
    auto it = std::lower_bound(trials.begin() + begin, trials.begin() + end, trial_id,
                               [](const FrozenTrial& t, std::int64_t id) { return t.trial_id < id; });
    return it != trials.begin() + end && it->trial_id == trial_id ? &*it : nullptr;
  };
  // Runs `sql` (whose first column is trial_id) over the id range and hands each row
  // of a wanted trial to `apply`.
  auto for_each_row = [&](const std::string& sql, auto&& apply) {
    SQLite::Statement& rows = statements_(sql + " WHERE trial_id BETWEEN ? AND ?");
    rows.bind(1, low);
    rows.bind(2, high);
    while (rows.executeStep()) {
      if (FrozenTrial* trial = find(rows.getColumn(0).getInt64())) apply(*trial, rows);
    }
  };

  for_each_row("SELECT trial_id, objective, value, value_type FROM trial_values",
               [](FrozenTrial& trial, SQLite::Statement& row) {
                 const auto objective = static_cast<std::size_t>(row.getColumn(1).getInt());
                 if (trial.values.size() <= objective) trial.values.resize(objective + 1);
                 trial.values[objective] =
                     decode_float(nullable_double(row.getColumn(2)), row.getColumn(3).getString());
               });
  for_each_row(
      "SELECT trial_id, param_name, param_value, distribution_json FROM trial_params",
      [this](FrozenTrial& trial, SQLite::Statement& row) {
        const std::string name = row.getColumn(1).getString();
        const Distribution& d = distribution(row.getColumn(3).getString());
        trial.params[name] = to_external(d, row.getColumn(2).getDouble());
        trial.distributions.insert_or_assign(name, d);
      });
  for_each_row(
      "SELECT trial_id, step, intermediate_value, intermediate_value_type "
      "FROM trial_intermediate_values",
      [](FrozenTrial& trial, SQLite::Statement& row) {
        trial.intermediate_values[row.getColumn(1).getInt64()] =
            decode_float(nullable_double(row.getColumn(2)), row.getColumn(3).getString());
      });
  for_each_row("SELECT trial_id, \"key\", value_json FROM trial_user_attributes",
               [](FrozenTrial& trial, SQLite::Statement& row) {
                 trial.user_attrs[row.getColumn(1).getString()] = parse_attribute(row.getColumn(2));
               });
  for_each_row("SELECT trial_id, \"key\", value_json FROM trial_system_attributes",
               [](FrozenTrial& trial, SQLite::Statement& row) {
                 trial.system_attrs[row.getColumn(1).getString()] =
                     parse_attribute(row.getColumn(2));
               });
}

const Distribution& TrialReader::distribution(const std::string& json) {
  auto it = distributions_.find(json);
  if (it == distributions_.end()) {
    // Bounded: a study whose every trial has its own distribution must not grow this
    // without limit.
    if (distributions_.size() >= 4096) distributions_.clear();
    it = distributions_.emplace(json, distribution_from_json(json)).first;
  }
  return it->second;
}

}  // namespace hpo::sqlite
