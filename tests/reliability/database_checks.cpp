#include "database_checks.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <SQLiteCpp/SQLiteCpp.h>

#include "hpo/storage/sqlite_storage.hpp"

namespace hpo::reliability {
namespace {

Json time_record(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
}

}  // namespace

std::string integrity_check(const std::string& db) {
  SQLite::Database connection(db, SQLite::OPEN_READWRITE);
  SQLite::Statement q(connection, "PRAGMA integrity_check");
  std::string verdict;
  while (q.executeStep()) verdict += (verdict.empty() ? "" : "; ") + q.getColumn(0).getString();
  return verdict;
}

std::vector<std::string> foreign_key_violations(const std::string& db) {
  SQLite::Database connection(db, SQLite::OPEN_READWRITE);
  SQLite::Statement q(connection, "PRAGMA foreign_key_check");
  std::vector<std::string> rows;
  while (q.executeStep()) rows.push_back(q.getColumn(0).getString() + " row " + q.getColumn(1).getString());
  return rows;
}

int running_trials_without_heartbeat(const std::string& db) {
  SQLite::Database connection(db, SQLite::OPEN_READWRITE);
  return connection.execAndGet(
      "SELECT count(*) FROM trials t LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
      "WHERE t.state = 'RUNNING' AND h.trial_id IS NULL").getInt();
}

std::vector<FrozenTrial> read_trials(const std::string& db, const std::string& study) {
  SqliteStorage storage(db);
  return storage.get_all_trials(storage.get_study_id_from_name(study));
}

Json trial_record(const FrozenTrial& trial) {
  Json intermediate = Json::object();
  for (const auto& [step, value] : trial.intermediate_values) intermediate[std::to_string(step)] = value;
  Json distributions = Json::object();
  for (const auto& [name, d] : trial.distributions) distributions[name] = distribution_to_json(d);
  return {{"number", trial.number},
          {"state", to_string(trial.state)},
          {"values", trial.values},
          {"params", trial.params},
          {"distributions", distributions},
          {"intermediate_values", intermediate},
          {"user_attrs", trial.user_attrs},
          {"system_attrs", trial.system_attrs},
          {"datetime_start", time_record(trial.datetime_start)},
          {"datetime_complete", time_record(trial.datetime_complete)}};
}

std::string check_numbers_dense(const std::vector<FrozenTrial>& trials) {
  for (std::size_t i = 0; i < trials.size(); ++i) {
    if (trials[i].number != static_cast<int>(i)) {
      return "trial at position " + std::to_string(i) + " has number " + std::to_string(trials[i].number);
    }
  }
  return "";
}

std::string file_bytes(const std::string& path) {
  if (!std::filesystem::exists(path)) return "<absent>";
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace hpo::reliability
