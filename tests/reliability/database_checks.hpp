#pragma once

// What the reliability tests check on a study database after a fault.

#include <string>
#include <vector>

#include "hpo/frozen_trial.hpp"
#include "hpo/json.hpp"

namespace hpo::reliability {

// SQLite's own verdicts: "ok" from PRAGMA integrity_check, or its complaints; and the
// rows PRAGMA foreign_key_check reports (Optuna's schema is all foreign keys).
std::string integrity_check(const std::string& db);
std::vector<std::string> foreign_key_violations(const std::string& db);

// The RUNNING trials of the file that have no heartbeat row.
int running_trials_without_heartbeat(const std::string& db);

// Every trial of the study, read by a fresh storage (as a new worker would).
std::vector<FrozenTrial> read_trials(const std::string& db, const std::string& study);

// Everything stored about a trial, as comparable JSON.
Json trial_record(const FrozenTrial& trial);

// Empty when the numbers are 0, 1, ..., n-1 in order; otherwise the first gap or repeat.
std::string check_numbers_dense(const std::vector<FrozenTrial>& trials);

// The bytes of a file; "<absent>" when there is none.
std::string file_bytes(const std::string& path);

}  // namespace hpo::reliability
