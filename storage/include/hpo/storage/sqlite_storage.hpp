#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "hpo/arg.hpp"
#include "hpo/storage.hpp"

namespace hpo {

// The Optuna schema revision (alembic_version.version_num) written into a new file.
// v3_2_0_a is what Optuna 3.2 to 5.x and optuna-dashboard expect; v3_0_0_d is what
// Optuna 3.0 and 3.1 (Debian's python3-optuna) expect. They differ only by the index
// ix_trials_study_id.
enum class OptunaSchema { v3_0_0_d, v3_2_0_a };

// SQLite's PRAGMA synchronous. In WAL mode Normal survives a crash of the program (not of
// the machine) and needs no fsync per commit; Full fsyncs every commit.
enum class SqliteSynchronous { Off, Normal, Full };

struct SqliteStorageOptions {
  // Only for a file that has no schema yet; an existing database keeps its revision.
  HPO_ARG(OptunaSchema, schema) = OptunaSchema::v3_2_0_a;
  HPO_ARG(SqliteSynchronous, synchronous) = SqliteSynchronous::Normal;
  // How long one call may wait for other processes' write locks before it fails with
  // hpo::StorageError; waiting is SQLite's busy handler plus retries with backoff.
  HPO_ARG(std::chrono::milliseconds, busy_timeout) = std::chrono::milliseconds(60000);
  // Optuna's RDBStorage(heartbeat_interval, grace_period, failed_trial_callback): when an
  // interval is set, optimize() refreshes the running trial's heartbeat and fails RUNNING
  // trials whose heartbeat is older than the grace period (default 2 × interval).
  HPO_ARG(std::optional<std::chrono::milliseconds>, heartbeat_interval);
  HPO_ARG(std::optional<std::chrono::milliseconds>, grace_period);
  HPO_ARG(FailedTrialCallback, failed_trial_callback);
};

// A study database in the exact schema of Optuna's RDBStorage, shareable with Python
// Optuna and with other processes using the same file. Opening refuses (hpo::StorageError,
// file untouched) a file that is not SQLite, a SQLite file without Optuna's tables, and an
// Optuna database at a schema revision other than v3.0.0.d or v3.2.0.a.
//
// Finished trials are immutable, so each instance caches them per study, reads only
// trials that are new or were unfinished when last read, and hands the cached ones out
// shared (get_all_trials_shared).
class SqliteStorage : public Storage {
 public:
  explicit SqliteStorage(const std::string& path, const SqliteStorageOptions& options = {});
  ~SqliteStorage() override;
  SqliteStorage(const SqliteStorage&) = delete;
  SqliteStorage& operator=(const SqliteStorage&) = delete;

  // The revision of the open file (which may differ from options().schema()).
  OptunaSchema schema() const;
  const std::string& path() const;

  std::int64_t create_new_study(const std::vector<StudyDirection>& directions,
                                const std::string& study_name) override;
  void delete_study(std::int64_t study_id) override;
  void set_study_user_attr(std::int64_t study_id, const std::string& key,
                           const Json& value) override;
  void set_study_system_attr(std::int64_t study_id, const std::string& key,
                             const Json& value) override;
  std::int64_t get_study_id_from_name(const std::string& study_name) override;
  std::string get_study_name_from_id(std::int64_t study_id) override;
  std::vector<StudyDirection> get_study_directions(std::int64_t study_id) override;
  AttrMap get_study_user_attrs(std::int64_t study_id) override;
  AttrMap get_study_system_attrs(std::int64_t study_id) override;
  std::vector<FrozenStudy> get_all_studies() override;

  std::int64_t create_new_trial(std::int64_t study_id,
                                const FrozenTrial* template_trial = nullptr) override;
  void set_trial_param(std::int64_t trial_id, const std::string& param_name,
                       double internal_value, const Distribution& distribution) override;
  std::int64_t get_trial_id_from_study_id_trial_number(std::int64_t study_id,
                                                       int trial_number) override;
  bool set_trial_state_values(std::int64_t trial_id, TrialState state,
                              const std::vector<double>& values = {}) override;
  void set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step,
                                    double value) override;
  void set_trial_user_attr(std::int64_t trial_id, const std::string& key,
                           const Json& value) override;
  void set_trial_system_attr(std::int64_t trial_id, const std::string& key,
                             const Json& value) override;
  FrozenTrial get_trial(std::int64_t trial_id) override;
  std::vector<SharedTrial> get_all_trials_shared(
      std::int64_t study_id,
      const std::optional<std::vector<TrialState>>& states = std::nullopt) override;

  std::optional<std::chrono::milliseconds> heartbeat_interval() const override;
  void record_heartbeat(std::int64_t trial_id) override;
  std::vector<std::int64_t> get_stale_trial_ids(std::int64_t study_id) override;
  FailedTrialCallback failed_trial_callback() const override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hpo
