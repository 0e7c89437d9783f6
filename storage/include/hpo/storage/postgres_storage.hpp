#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "hpo/arg.hpp"
#include "hpo/storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"  // OptunaSchema

namespace hpo {

struct PostgresStorageOptions {
  // Only for a database that has no study tables yet; an existing one keeps its revision.
  HPO_ARG(OptunaSchema, schema) = OptunaSchema::v3_2_0_a;
  // How long one call may keep retrying before it fails with hpo::StorageError: after a
  // serialization failure or deadlock (jittered backoff), or while the server is away
  // (reconnecting, e.g. across a restart). Opening never waits: a server that refuses the
  // first connection is reported at once.
  HPO_ARG(std::chrono::milliseconds, retry_timeout) = std::chrono::milliseconds(60000);
  // Optuna's RDBStorage(heartbeat_interval, grace_period, failed_trial_callback); the
  // heartbeats are timestamps of the server's clock, so workers on machines whose clocks
  // disagree still judge staleness alike.
  HPO_ARG(std::optional<std::chrono::milliseconds>, heartbeat_interval);
  HPO_ARG(std::optional<std::chrono::milliseconds>, grace_period);
  HPO_ARG(FailedTrialCallback, failed_trial_callback);
};

// A study database on a PostgreSQL server in the exact schema that Optuna's RDBStorage
// creates there (native enum types, SERIAL keys, double precision, timestamp), shared
// with other hpo processes and Python Optuna workers on any machine that reaches the
// server.
//
// `url` is what Optuna users write: postgresql://user:password@host:port/dbname, also
// postgresql+psycopg2://..., with libpq's query parameters (?sslmode=require,
// ?host=/run/postgresql for a unix socket, ...). Opening refuses (hpo::StorageError,
// nothing written) a server it cannot reach or log into, a database whose tables are not
// Optuna's, and an Optuna database at a revision other than v3.0.0.d or v3.2.0.a; a
// database without tables gets the schema.
//
// Trial numbers are allocated under a lock on the study's row, as Optuna does, so hpo
// and Optuna workers never share a number. A call whose connection drops reconnects and
// repeats its transaction; a commit whose outcome was lost with the connection is looked
// up first, so that it is not applied twice.
class PostgresStorage : public Storage {
 public:
  explicit PostgresStorage(const std::string& url, const PostgresStorageOptions& options = {});
  ~PostgresStorage() override;
  PostgresStorage(const PostgresStorage&) = delete;
  PostgresStorage& operator=(const PostgresStorage&) = delete;

  // The revision of the open database (which may differ from options().schema()).
  OptunaSchema schema() const;

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

  // With heartbeats on, a RUNNING trial gets its first heartbeat in the transaction that
  // creates it, so that no crash can leave it RUNNING without one.
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
  int get_n_trials(std::int64_t study_id,
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
