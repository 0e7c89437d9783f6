#include "hpo/storage/postgres_storage.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <type_traits>
#include <unordered_map>

#include "hpo/error.hpp"
#include "pg_connection.hpp"
#include "pg_schema.hpp"
#include "pg_url.hpp"
#include "sqlite_datetime.hpp"        // SQLAlchemy's datetime text, shared by both databases
#include "sqlite_float_encoding.hpp"  // Optuna's (value, type) encoding, shared by both databases
#include "sqlite_retry.hpp"           // Backoff
#include "trial_cache.hpp"

namespace hpo {
namespace {

using pg::param;
using pg::Param;

// How a call's statements run: a write transaction locks the rows it checks (READ
// COMMITTED, as Optuna's sessions do); a read transaction sees one snapshot; a single
// statement is its own transaction and needs no BEGIN and COMMIT round trips.
enum class Access { Write, Read, Statement };

Param optional_time(const std::optional<TimePoint>& time) {
  return time ? param(sqlite::format_datetime(*time)) : pg::null_param();
}

Param state_list(const std::optional<std::vector<TrialState>>& states) {
  if (!states) return pg::null_param();
  std::string list = "{";
  for (TrialState s : *states) list += (list.size() > 1 ? "," : "") + to_string(s);
  return list + "}";
}

// The one statement that reads trials: the rows of `trials` that `rows_where` selects
// (over trials' columns), plus the values, params, intermediate values and attributes of
// those of them that `details_where` selects (over the same columns). One statement is one
// snapshot and one round trip. Every part yields (kind, trial_id, key, number, text).
std::string trial_query(const std::string& rows_where, const std::string& details_where) {
  const std::string of_wanted = " WHERE trial_id IN (SELECT trial_id FROM wanted)";
  return "WITH r AS (SELECT trial_id, number, state, datetime_start, datetime_complete, study_id "
         "FROM trials WHERE " + rows_where + "), wanted AS (SELECT trial_id FROM r WHERE " +
         details_where +
         ") SELECT 0 AS kind, trial_id, number::text AS key, NULL::float8 AS number, "
         "state::text AS text, datetime_start::text AS start, datetime_complete::text AS complete, "
         "study_id FROM r"
         " UNION ALL SELECT 1, trial_id, objective::text, value, value_type::text, NULL, NULL, NULL "
         "FROM trial_values" + of_wanted +
         " UNION ALL SELECT 2, trial_id, param_name, param_value, distribution_json, NULL, NULL, NULL "
         "FROM trial_params" + of_wanted +
         " UNION ALL SELECT 3, trial_id, step::text, intermediate_value, intermediate_value_type::text, "
         "NULL, NULL, NULL FROM trial_intermediate_values" + of_wanted +
         " UNION ALL SELECT 4, trial_id, key, NULL, value_json, NULL, NULL, NULL "
         "FROM trial_user_attributes" + of_wanted +
         " UNION ALL SELECT 5, trial_id, key, NULL, value_json, NULL, NULL, NULL "
         "FROM trial_system_attributes" + of_wanted;
}

struct ReadTrials {
  std::vector<FrozenTrial> trials;  // ordered by trial_id
  std::vector<std::int64_t> study_ids;
};

class DistributionCache {
 public:
  const Distribution& operator()(const std::string& json) {
    auto it = parsed_.find(json);
    if (it == parsed_.end()) {
      if (parsed_.size() >= 4096) parsed_.clear();  // bounded, whatever the study holds
      it = parsed_.emplace(json, distribution_from_json(json)).first;
    }
    return it->second;
  }

 private:
  std::unordered_map<std::string, Distribution> parsed_;
};

ReadTrials parse_trials(const pg::Result& result, DistributionCache& distribution) {
  ReadTrials read;
  std::map<std::int64_t, std::size_t> index;
  for (int i = 0; i < result.rows(); ++i) {
    if (result.int64(i, 0) != 0) continue;
    FrozenTrial trial;
    trial.trial_id = result.int64(i, 1);
    trial.number = static_cast<int>(result.int64(i, 2));
    trial.state = trial_state_from_string(result.text(i, 4));
    if (!result.is_null(i, 5)) trial.datetime_start = sqlite::parse_datetime(result.text(i, 5));
    if (!result.is_null(i, 6)) trial.datetime_complete = sqlite::parse_datetime(result.text(i, 6));
    index.emplace(trial.trial_id, 0);
    read.trials.push_back(std::move(trial));
    read.study_ids.push_back(result.int64(i, 7));
  }
  // Rows come in no particular order: sort by trial_id, which is number order.
  std::vector<std::size_t> order(read.trials.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return read.trials[a].trial_id < read.trials[b].trial_id; });
  ReadTrials sorted;
  for (std::size_t i : order) {
    index[read.trials[i].trial_id] = sorted.trials.size();
    sorted.trials.push_back(std::move(read.trials[i]));
    sorted.study_ids.push_back(read.study_ids[i]);
  }
  for (int i = 0; i < result.rows(); ++i) {
    const std::int64_t kind = result.int64(i, 0);
    if (kind == 0) continue;
    const auto found = index.find(result.int64(i, 1));
    if (found == index.end()) continue;
    FrozenTrial& trial = sorted.trials[found->second];
    const std::string key = result.text(i, 2);
    switch (kind) {
      case 1: {
        const auto objective = static_cast<std::size_t>(std::stoll(key));
        if (trial.values.size() <= objective) trial.values.resize(objective + 1);
        trial.values[objective] = sqlite::decode_float(result.nullable_real(i, 3), result.text(i, 4));
        break;
      }
      case 2: {
        const Distribution& d = distribution(result.text(i, 4));
        trial.params[key] = to_external(d, result.real(i, 3));
        trial.distributions.insert_or_assign(key, d);
        break;
      }
      case 3:
        trial.intermediate_values[std::stoll(key)] =
            sqlite::decode_float(result.nullable_real(i, 3), result.text(i, 4));
        break;
      case 4: trial.user_attrs[key] = parse_json(result.text(i, 4)); break;
      case 5: trial.system_attrs[key] = parse_json(result.text(i, 4)); break;
    }
  }
  return sorted;
}

const char* const kFinished = "state IN ('COMPLETE', 'PRUNED', 'FAIL')";

}  // namespace

class PostgresStorage::Impl {
 public:
  Impl(const pg::ConnectionTarget& target, const PostgresStorageOptions& options_)
      : options(options_), connection(target.conninfo, target.display) {
    schema = pg::open_schema(connection, options.schema());
  }

  PostgresStorageOptions options;
  pg::Connection connection;
  OptunaSchema schema = OptunaSchema::v3_2_0_a;
  std::mutex mutex;  // one connection, one transaction at a time

  TrialCache cache;
  std::unordered_map<std::int64_t, std::int64_t> trial_study;  // trials this storage wrote to
  DistributionCache distribution;

  // Runs `body` (statements on `connection`) as one transaction and returns its result.
  // Serialization failures and deadlocks repeat it after a jittered backoff; a lost
  // connection is re-opened (waiting out a server restart) and the transaction repeated.
  // When the connection was lost while the COMMIT (or the single statement) was under
  // way, its outcome is unknown: `committed(attempt)` then asks the database whether that
  // attempt's changes are there (`attempt` is its result, or null when the statement had
  // not answered) and returns the call's result if so, nullopt if not. Without
  // `committed`, repeating must be harmless (an upsert, a read).
  template <class Body, class Committed>
  auto run(Access access, Body&& body, Committed&& committed) {
    using R = decltype(body());
    if constexpr (std::is_void_v<R>) {
      run(
          access, [&] { body(); return true; },
          [&](const bool*) { return committed() ? std::optional<bool>(true) : std::nullopt; });
    } else {
      sqlite::Backoff backoff(options.retry_timeout());
      bool in_doubt = false;
      std::unique_ptr<R> attempt;  // the result of the attempt in doubt, when it had one
      for (;;) {
        bool commit_sent = false;
        std::optional<R> result;
        try {
          if (in_doubt) {
            std::optional<R> done = committed(attempt.get());
            in_doubt = false;
            if (done) return std::move(*done);
          }
          if (access == Access::Statement) {
            commit_sent = true;
            return body();
          }
          connection.exec(access == Access::Write ? "BEGIN"
                                                  : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
          result.emplace(body());
          commit_sent = true;
          connection.exec("COMMIT");
          return std::move(*result);
        } catch (const pg::Failure& failure) {
          if (failure.connection_lost()) {
            if (commit_sent) {
              in_doubt = true;
              attempt = result ? std::make_unique<R>(std::move(*result)) : nullptr;
            }
            reconnect(backoff, failure);
            continue;
          }
          if (access != Access::Statement) rollback();
          if (failure.transient_conflict() && backoff.wait()) continue;
          throw;
        } catch (...) {
          if (access != Access::Statement) rollback();
          throw;
        }
      }
    }
  }
  template <class Body>
  auto run(Access access, Body&& body) {
    using R = decltype(body());
    if constexpr (std::is_void_v<R>) {
      return run(access, std::forward<Body>(body), [] { return false; });
    } else {
      return run(access, std::forward<Body>(body), [](const R*) { return std::optional<R>(); });
    }
  }

  void rollback() {
    try {
      connection.exec("ROLLBACK");
    } catch (const pg::Failure&) {
      // A lost connection rolled back on the server; the next statement reconnects.
    }
  }

  void reconnect(sqlite::Backoff& backoff, const pg::Failure& cause) {
    for (;;) {
      if (!backoff.wait()) {
        throw StorageError(std::string(cause.what()) + " (the connection was lost and could not be re-opened within " +
                           std::to_string(options.retry_timeout().count()) + " ms)");
      }
      try {
        connection.reconnect();
        return;
      } catch (const pg::Failure&) {
        // The server is still away (restarting, say): wait and try again.
      }
    }
  }

  void require_study(std::int64_t study_id, bool lock = false) {
    const pg::Result r = connection.exec(
        lock ? "SELECT 1 FROM studies WHERE study_id = $1 FOR NO KEY UPDATE"
             : "SELECT 1 FROM studies WHERE study_id = $1",
        {param(study_id)});
    if (r.rows() == 0) throw NotFoundError("no study with id " + std::to_string(study_id));
  }

  // Why a checked write to a trial (Target::Updatable) matched no row: the trial does not
  // exist, or it is finished.
  [[noreturn]] void refuse_change(std::int64_t trial_id) {
    const pg::Result r = connection.exec("SELECT state, number FROM trials WHERE trial_id = $1", {param(trial_id)});
    if (r.rows() == 0) throw NotFoundError("no trial with id " + std::to_string(trial_id));
    throw UpdateFinishedTrialError("trial " + r.text(0, 1) + " (id " + std::to_string(trial_id) + ") is already " +
                                   r.text(0, 0) + " and cannot be changed");
  }

  // The study of a trial (which never changes): known for the trials this storage saw.
  std::int64_t study_of_trial(std::int64_t trial_id) {
    auto known = trial_study.find(trial_id);
    if (known != trial_study.end()) return known->second;
    const pg::Result r = connection.exec("SELECT study_id FROM trials WHERE trial_id = $1", {param(trial_id)});
    if (r.rows() == 0) throw NotFoundError("no trial with id " + std::to_string(trial_id));
    return trial_study.emplace(trial_id, r.int64(0, 0)).first->second;
  }

  // Optuna checks a parameter's distribution against the one the name has anywhere in the
  // study; the cache answers after the first lookup.
  void check_param_distribution(std::int64_t study_id, const std::string& name, const Distribution& d) {
    if (const Distribution* known = cache.distribution(study_id, name)) {
      check_distribution_compatibility(name, *known, d);
      return;
    }
    const pg::Result r = connection.exec(
        "SELECT p.distribution_json FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
        "WHERE t.study_id = $1 AND p.param_name = $2 LIMIT 1",
        {param(study_id), param(name)});
    if (r.rows() > 0) check_distribution_compatibility(name, distribution(r.text(0, 0)), d);
  }

  // Each write below is one statement over the rows of `t`, a CTE of the one trial $1:
  // Target::Fresh for a trial this transaction created; Target::Updatable only if the
  // trial is still RUNNING or WAITING, with its row locked (as Optuna's for_update),
  // so that the check and the write are one atomic step even as another worker
  // finishes or fails the trial. Returns false when `t` was empty.
  enum class Target { Fresh, Updatable };
  static std::string trial_source(Target target) {
    return target == Target::Fresh
               ? "WITH t AS (SELECT $1::integer AS trial_id) "
               : "WITH t AS (SELECT trial_id FROM trials WHERE trial_id = $1 AND state IN ('RUNNING', 'WAITING') "
                 "FOR NO KEY UPDATE) ";
  }

  bool write_param(Target target, std::int64_t trial_id, const std::string& name, double internal_value,
                   const Distribution& d) {
    return connection
               .exec(trial_source(target) +
                         "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
                         "SELECT trial_id, $2, $3, $4 FROM t ON CONFLICT (trial_id, param_name) DO UPDATE SET "
                         "param_value = excluded.param_value, distribution_json = excluded.distribution_json "
                         "RETURNING 1",
                     {param(trial_id), param(name), param(internal_value), param(distribution_to_json(d))})
               .rows() > 0;
  }

  bool write_intermediate_value(Target target, std::int64_t trial_id, std::int64_t step, double value) {
    const sqlite::StoredFloat stored = sqlite::encode_float(value, /*allow_nan=*/true);
    return connection
               .exec(trial_source(target) +
                         "INSERT INTO trial_intermediate_values "
                         "(trial_id, step, intermediate_value, intermediate_value_type) "
                         "SELECT trial_id, $2, $3, $4 FROM t ON CONFLICT (trial_id, step) DO UPDATE SET "
                         "intermediate_value = excluded.intermediate_value, "
                         "intermediate_value_type = excluded.intermediate_value_type RETURNING 1",
                     {param(trial_id), param(step), stored.value ? param(*stored.value) : pg::null_param(),
                      param(stored.type)})
               .rows() > 0;
  }

  bool write_trial_attribute(Target target, const std::string& table, std::int64_t trial_id,
                             const std::string& key, const Json& value) {
    return connection
               .exec(trial_source(target) + "INSERT INTO " + table +
                         " (trial_id, key, value_json) SELECT trial_id, $2, $3 FROM t "
                         "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json RETURNING 1",
                     {param(trial_id), param(key), param(dump_json(value))})
               .rows() > 0;
  }

  // The trial's values (one per objective) as the two arrays the finishing statement
  // unnests: value (NULL for ±inf) and value type.
  static std::pair<Param, Param> value_arrays(const std::vector<double>& values) {
    std::string numbers = "{";
    std::string types = "{";
    for (double v : values) {
      const sqlite::StoredFloat stored = sqlite::encode_float(v, /*allow_nan=*/false);
      const char* separator = numbers.size() > 1 ? "," : "";
      numbers += separator + (stored.value ? *param(*stored.value) : std::string("NULL"));
      types += separator + std::string(stored.type);
    }
    return {numbers + "}", types + "}"};
  }

  // The heartbeat in the server's clock (the session's time zone, as Optuna's now()).
  void write_heartbeat(std::int64_t trial_id) {
    connection.exec(
        "INSERT INTO trial_heartbeats (trial_id, heartbeat) SELECT trial_id, LOCALTIMESTAMP FROM trials "
        "WHERE trial_id = $1 AND state = 'RUNNING' "
        "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
        {param(trial_id)});
  }

  AttrMap read_study_attributes(const std::string& table, std::int64_t study_id) {
    return run(Access::Read, [&] {
      require_study(study_id);
      const pg::Result r = connection.exec("SELECT key, value_json FROM " + table + " WHERE study_id = $1",
                                           {param(study_id)});
      AttrMap attrs;
      for (int i = 0; i < r.rows(); ++i) attrs[r.text(i, 0)] = parse_json(r.text(i, 1));
      return attrs;
    });
  }

  void set_study_attribute(const std::string& table, std::int64_t study_id, const std::string& key,
                           const Json& value) {
    const bool written = run(Access::Statement, [&] {
      return connection
                 .exec("INSERT INTO " + table + " (study_id, key, value_json) SELECT study_id, $2, $3 FROM studies "
                       "WHERE study_id = $1 ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json "
                       "RETURNING 1",
                       {param(study_id), param(key), param(dump_json(value))})
                 .rows() > 0;
    });
    if (!written) throw NotFoundError("no study with id " + std::to_string(study_id));
  }

  void set_trial_attribute(const std::string& table, std::int64_t trial_id, const std::string& key,
                           const Json& value) {
    run(Access::Statement, [&] {
      if (!write_trial_attribute(Target::Updatable, table, trial_id, key, value)) refuse_change(trial_id);
    });
  }

  // Brings the study's cache up to date and returns its trials in `states`. One
  // statement reads the rows above the watermark and the details of those that the cache
  // needs: finished but not cached, or unfinished and asked for (TrialCache::needs_details).
  std::vector<SharedTrial> refresh(std::int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
    std::string cached_above = "{";
    for (std::int64_t trial_id : cache.cached_above_watermark(study_id)) {
      cached_above += (cached_above.size() > 1 ? "," : "") + std::to_string(trial_id);
    }
    cached_above += "}";
    const std::string sql =
        trial_query("study_id = $1 AND trial_id > $2",
                    std::string("CASE WHEN ") + kFinished +
                        " THEN NOT trial_id = ANY($3::integer[]) "
                        "ELSE $4::text[] IS NULL OR state::text = ANY($4::text[]) END") +
        " UNION ALL SELECT 9, study_id, NULL, NULL, NULL, NULL, NULL, NULL FROM studies WHERE study_id = $1";
    const pg::Result result = run(Access::Statement, [&] {
      return connection.exec(sql, {param(study_id), param(cache.watermark(study_id)), param(cached_above),
                                   state_list(states)});
    });
    bool study_exists = false;
    for (int i = 0; i < result.rows() && !study_exists; ++i) study_exists = result.int64(i, 0) == 9;
    if (!study_exists) {
      cache.forget_study(study_id);
      throw NotFoundError("no study with id " + std::to_string(study_id));
    }
    return cache.absorb(study_id, std::move(parse_trials(result, distribution).trials), states);
  }
};

// ---------------------------------------------------------------------------------------

PostgresStorage::PostgresStorage(const std::string& url, const PostgresStorageOptions& options)
    : impl_(std::make_unique<Impl>(pg::parse_postgres_url(url), options)) {}

PostgresStorage::~PostgresStorage() = default;

OptunaSchema PostgresStorage::schema() const { return impl_->schema; }

std::int64_t PostgresStorage::create_new_study(const std::vector<StudyDirection>& directions,
                                               const std::string& study_name) {
  if (directions.empty()) throw ValueError("a study needs at least one direction, got none");
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  try {
    return s.run(
        Access::Write,
        [&] {
          const std::int64_t study_id =
              s.connection.exec("INSERT INTO studies (study_name) VALUES ($1) RETURNING study_id", {param(study_name)})
                  .int64(0, 0);
          for (std::size_t objective = 0; objective < directions.size(); ++objective) {
            s.connection.exec("INSERT INTO study_directions (direction, study_id, objective) VALUES ($1, $2, $3)",
                              {param(to_string(directions[objective])), param(study_id),
                               param(static_cast<std::int64_t>(objective))});
          }
          return study_id;
        },
        [&](const std::int64_t* study_id) -> std::optional<std::int64_t> {
          if (study_id && s.connection.exec("SELECT 1 FROM studies WHERE study_id = $1", {param(*study_id)}).rows()) {
            return *study_id;
          }
          return std::nullopt;
        });
  } catch (const pg::Failure& failure) {
    if (failure.unique_violation()) {
      throw DuplicatedStudyError("a study named '" + study_name + "' already exists");
    }
    throw;
  }
}

void PostgresStorage::delete_study(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  s.run(
      Access::Write,
      [&] {
        s.require_study(study_id, /*lock=*/true);
        // Optuna's DDL has no ON DELETE CASCADE: children go first, explicitly.
        for (const char* table : {"trial_params", "trial_values", "trial_intermediate_values",
                                  "trial_user_attributes", "trial_system_attributes", "trial_heartbeats"}) {
          s.connection.exec(std::string("DELETE FROM ") + table +
                                " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = $1)",
                            {param(study_id)});
        }
        for (const char* table :
             {"trials", "study_user_attributes", "study_system_attributes", "study_directions", "studies"}) {
          s.connection.exec(std::string("DELETE FROM ") + table + " WHERE study_id = $1", {param(study_id)});
        }
      },
      [&] { return s.connection.exec("SELECT 1 FROM studies WHERE study_id = $1", {param(study_id)}).rows() == 0; });
  s.cache.forget_study(study_id);
}

void PostgresStorage::set_study_user_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->set_study_attribute("study_user_attributes", study_id, key, value);
}

void PostgresStorage::set_study_system_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->set_study_attribute("study_system_attributes", study_id, key, value);
}

std::int64_t PostgresStorage::get_study_id_from_name(const std::string& study_name) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const pg::Result r = impl_->run(Access::Statement, [&] {
    return impl_->connection.exec("SELECT study_id FROM studies WHERE study_name = $1", {param(study_name)});
  });
  if (r.rows() == 0) throw NotFoundError("no study named '" + study_name + "'");
  return r.int64(0, 0);
}

std::string PostgresStorage::get_study_name_from_id(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const pg::Result r = impl_->run(Access::Statement, [&] {
    return impl_->connection.exec("SELECT study_name FROM studies WHERE study_id = $1", {param(study_id)});
  });
  if (r.rows() == 0) throw NotFoundError("no study with id " + std::to_string(study_id));
  return r.text(0, 0);
}

std::vector<StudyDirection> PostgresStorage::get_study_directions(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->run(Access::Read, [&] {
    impl_->require_study(study_id);
    const pg::Result r = impl_->connection.exec(
        "SELECT direction FROM study_directions WHERE study_id = $1 ORDER BY objective", {param(study_id)});
    std::vector<StudyDirection> directions;
    for (int i = 0; i < r.rows(); ++i) directions.push_back(study_direction_from_string(r.text(i, 0)));
    return directions;
  });
}

AttrMap PostgresStorage::get_study_user_attrs(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read_study_attributes("study_user_attributes", study_id);
}

AttrMap PostgresStorage::get_study_system_attrs(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read_study_attributes("study_system_attributes", study_id);
}

std::vector<FrozenStudy> PostgresStorage::get_all_studies() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const pg::Result r = impl_->run(Access::Statement, [&] {
    return impl_->connection.exec(
        "SELECT 0, study_id, study_name, NULL, NULL FROM studies"
        " UNION ALL SELECT 1, study_id, direction::text, objective, NULL FROM study_directions"
        " UNION ALL SELECT 2, study_id, key, NULL, value_json FROM study_user_attributes"
        " UNION ALL SELECT 3, study_id, key, NULL, value_json FROM study_system_attributes");
  });
  std::map<std::int64_t, FrozenStudy> studies;
  std::map<std::int64_t, std::map<std::int64_t, StudyDirection>> directions;
  for (int i = 0; i < r.rows(); ++i) {
    if (r.int64(i, 0) != 0) continue;
    FrozenStudy& study = studies[r.int64(i, 1)];
    study.study_id = r.int64(i, 1);
    study.study_name = r.text(i, 2);
  }
  for (int i = 0; i < r.rows(); ++i) {
    const std::int64_t kind = r.int64(i, 0);
    auto it = studies.find(r.int64(i, 1));
    if (kind == 0 || it == studies.end()) continue;
    if (kind == 1) directions[it->first][r.int64(i, 3)] = study_direction_from_string(r.text(i, 2));
    if (kind == 2) it->second.user_attrs[r.text(i, 2)] = parse_json(r.text(i, 4));
    if (kind == 3) it->second.system_attrs[r.text(i, 2)] = parse_json(r.text(i, 4));
  }
  std::vector<FrozenStudy> result;
  for (auto& [study_id, study] : studies) {
    for (const auto& entry : directions[study_id]) study.directions.push_back(entry.second);
    result.push_back(std::move(study));
  }
  return result;
}

std::int64_t PostgresStorage::create_new_trial(std::int64_t study_id, const FrozenTrial* template_trial) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  const TrialState state = template_trial ? template_trial->state : TrialState::Running;
  const std::optional<TimePoint> start =
      template_trial ? template_trial->datetime_start : std::optional<TimePoint>(Clock::now());
  const std::optional<TimePoint> complete = template_trial ? template_trial->datetime_complete : std::nullopt;
  const std::int64_t trial_id = s.run(
      Access::Write,
      [&] {
        // Optuna locks the study's row to number its trials; this lock conflicts with
        // Optuna's FOR UPDATE, so hpo and Optuna workers take turns. Under READ
        // COMMITTED the INSERT below, a new statement, sees every trial committed by
        // whoever held the lock before.
        s.require_study(study_id, /*lock=*/true);
        if (template_trial) {
          for (const auto& [name, d] : template_trial->distributions) s.check_param_distribution(study_id, name, d);
        }
        // With heartbeats on, a RUNNING trial gets its first heartbeat in this
        // transaction: no crash can leave it RUNNING without one.
        const std::int64_t id =
            s.connection
                .exec("WITH n AS (INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
                      "VALUES (COALESCE((SELECT number FROM trials WHERE study_id = $1 "
                      "ORDER BY trial_id DESC LIMIT 1) + 1, 0), $1, $2, $3, $4) RETURNING trial_id), "
                      "h AS (INSERT INTO trial_heartbeats (trial_id, heartbeat) "
                      "SELECT trial_id, LOCALTIMESTAMP FROM n WHERE $5) SELECT trial_id FROM n",
                      {param(study_id), param(to_string(state)), optional_time(start), optional_time(complete),
                       param(state == TrialState::Running && s.options.heartbeat_interval() ? "true" : "false")})
                .int64(0, 0);
        if (template_trial) {
          if (!template_trial->values.empty()) {
            const auto [numbers, types] = Impl::value_arrays(template_trial->values);
            s.connection.exec(
                "INSERT INTO trial_values (trial_id, objective, value, value_type) "
                "SELECT $1, o - 1, v, t::trialvaluetype FROM unnest($2::float8[], $3::text[]) "
                "WITH ORDINALITY AS x(v, t, o)",
                {param(id), numbers, types});
          }
          for (const auto& [name, d] : template_trial->distributions) {
            auto value = template_trial->params.find(name);
            if (value == template_trial->params.end()) {
              throw ValueError("template trial has a distribution but no value for '" + name + "'");
            }
            s.write_param(Impl::Target::Fresh, id, name, to_internal(d, value->second), d);
          }
          for (const auto& [step, value] : template_trial->intermediate_values) {
            s.write_intermediate_value(Impl::Target::Fresh, id, step, value);
          }
          for (const auto& [key, value] : template_trial->user_attrs) {
            s.write_trial_attribute(Impl::Target::Fresh, "trial_user_attributes", id, key, value);
          }
          for (const auto& [key, value] : template_trial->system_attrs) {
            s.write_trial_attribute(Impl::Target::Fresh, "trial_system_attributes", id, key, value);
          }
        }
        return id;
      },
      // trial_id comes from a sequence and is never reused: if the row exists, that
      // attempt committed.
      [&](const std::int64_t* id) -> std::optional<std::int64_t> {
        if (id && s.connection.exec("SELECT 1 FROM trials WHERE trial_id = $1", {param(*id)}).rows() > 0) return *id;
        return std::nullopt;
      });
  s.trial_study[trial_id] = study_id;
  if (template_trial) {
    for (const auto& [name, d] : template_trial->distributions) s.cache.remember_distribution(study_id, name, d);
  }
  return trial_id;
}

void PostgresStorage::set_trial_param(std::int64_t trial_id, const std::string& param_name, double internal_value,
                                      const Distribution& distribution) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  to_external(distribution, internal_value);  // throws for a value outside the distribution
  // The distribution check reads other trials (usually not even that: the cache knows
  // the name); the write then checks and locks this trial in its one statement.
  const std::int64_t study_id = s.run(Access::Statement, [&] {
    const std::int64_t study = s.study_of_trial(trial_id);
    s.check_param_distribution(study, param_name, distribution);
    if (!s.write_param(Impl::Target::Updatable, trial_id, param_name, internal_value, distribution)) {
      s.refuse_change(trial_id);
    }
    return study;
  });
  s.cache.remember_distribution(study_id, param_name, distribution);
}

std::int64_t PostgresStorage::get_trial_id_from_study_id_trial_number(std::int64_t study_id, int trial_number) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const pg::Result r = impl_->run(Access::Statement, [&] {
    return impl_->connection.exec("SELECT trial_id FROM trials WHERE study_id = $1 AND number = $2",
                                  {param(study_id), param(std::int64_t{trial_number})});
  });
  if (r.rows() == 0) {
    throw NotFoundError("no trial number " + std::to_string(trial_number) + " in the study with id " +
                        std::to_string(study_id));
  }
  return r.int64(0, 0);
}

bool PostgresStorage::set_trial_state_values(std::int64_t trial_id, TrialState state,
                                             const std::vector<double>& values) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  // The time written is also the attempt's mark: a lost COMMIT is looked up by it.
  const std::string now = sqlite::format_datetime(Clock::now());
  const Param start = state == TrialState::Running ? param(now) : pg::null_param();
  const Param complete = is_finished(state) ? param(now) : pg::null_param();
  const auto [numbers, types] = Impl::value_arrays(values);
  // Only WAITING may become RUNNING (a claim); any unfinished state may finish.
  const Param from = param(state == TrialState::Running ? "{WAITING}" : "{RUNNING,WAITING}");
  // A claimed WAITING trial gets its first heartbeat with the claim, as a new one does.
  const Param beat = param(state == TrialState::Running && s.options.heartbeat_interval() ? "true" : "false");
  // One statement: the UPDATE's condition is re-checked on the row's latest version
  // after waiting for a concurrent writer, so two workers finishing (or failing, or
  // claiming) the same trial cannot both succeed.
  const bool changed = s.run(
      Access::Statement,
      [&] {
        return s.connection
                   .exec("WITH u AS (UPDATE trials SET state = $2, "
                         "datetime_start = COALESCE($3::timestamp, datetime_start), "
                         "datetime_complete = COALESCE($4::timestamp, datetime_complete) "
                         "WHERE trial_id = $1 AND state::text = ANY($5::text[]) RETURNING trial_id), "
                         "v AS (INSERT INTO trial_values (trial_id, objective, value, value_type) "
                         "SELECT u.trial_id, o - 1, v, t::trialvaluetype FROM u, "
                         "unnest($6::float8[], $7::text[]) WITH ORDINALITY AS x(v, t, o) "
                         "ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, "
                         "value_type = excluded.value_type), "
                         "h AS (INSERT INTO trial_heartbeats (trial_id, heartbeat) "
                         "SELECT trial_id, LOCALTIMESTAMP FROM u WHERE $8 "
                         "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat) "
                         "SELECT trial_id FROM u",
                         {param(trial_id), param(to_string(state)), start, complete, from, numbers, types, beat})
                   .rows() > 0;
      },
      // The time written is also the attempt's mark: a lost answer is looked up by it.
      [&](const bool*) -> std::optional<bool> {
        const bool found =
            s.connection
                .exec("SELECT 1 FROM trials WHERE trial_id = $1 AND state = $2 AND "
                      "(datetime_start = $3::timestamp OR datetime_complete = $4::timestamp)",
                      {param(trial_id), param(to_string(state)), start, complete})
                .rows() > 0;
        return found ? std::optional<bool>(true) : std::nullopt;
      });
  if (changed) return true;
  // Unchanged: a claim of a trial that is not WAITING (another worker took it), or a
  // trial that is finished or does not exist.
  const pg::Result r = s.run(Access::Statement, [&] {
    return s.connection.exec("SELECT state FROM trials WHERE trial_id = $1", {param(trial_id)});
  });
  if (state == TrialState::Running && r.rows() > 0 && !is_finished(trial_state_from_string(r.text(0, 0)))) {
    return false;
  }
  s.run(Access::Statement, [&] { s.refuse_change(trial_id); });
  return false;
}

void PostgresStorage::set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->run(Access::Statement, [&] {
    if (!impl_->write_intermediate_value(Impl::Target::Updatable, trial_id, step, value)) {
      impl_->refuse_change(trial_id);
    }
  });
}

void PostgresStorage::set_trial_user_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->set_trial_attribute("trial_user_attributes", trial_id, key, value);
}

void PostgresStorage::set_trial_system_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->set_trial_attribute("trial_system_attributes", trial_id, key, value);
}

FrozenTrial PostgresStorage::get_trial(std::int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  if (const SharedTrial cached = s.cache.find(trial_id)) return *cached;
  const pg::Result result = s.run(Access::Statement, [&] {
    return s.connection.exec(trial_query("trial_id = $1", "TRUE"), {param(trial_id)});
  });
  ReadTrials read = parse_trials(result, s.distribution);
  if (read.trials.empty()) throw NotFoundError("no trial with id " + std::to_string(trial_id));
  FrozenTrial& trial = read.trials.front();
  if (is_finished(trial.state)) s.cache.insert(read.study_ids.front(), trial);
  return std::move(trial);
}

std::vector<SharedTrial> PostgresStorage::get_all_trials_shared(std::int64_t study_id,
                                                               const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->refresh(study_id, states);
}

int PostgresStorage::get_n_trials(std::int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const pg::Result r = impl_->run(Access::Statement, [&] {
    return impl_->connection.exec(
        "SELECT (SELECT count(*) FROM trials WHERE study_id = $1 AND "
        "($2::text[] IS NULL OR state::text = ANY($2::text[]))) FROM studies WHERE study_id = $1",
        {param(study_id), state_list(states)});
  });
  if (r.rows() == 0) throw NotFoundError("no study with id " + std::to_string(study_id));
  return static_cast<int>(r.int64(0, 0));
}

std::optional<std::chrono::milliseconds> PostgresStorage::heartbeat_interval() const {
  return impl_->options.heartbeat_interval();
}

void PostgresStorage::record_heartbeat(std::int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  // A trial that another worker has meanwhile failed is no error: its heartbeat is simply
  // not needed any more (the statement matches no RUNNING row).
  impl_->run(Access::Statement, [&] { impl_->write_heartbeat(trial_id); });
}

std::vector<std::int64_t> PostgresStorage::get_stale_trial_ids(std::int64_t study_id) {
  const std::optional<std::chrono::milliseconds> interval = heartbeat_interval();
  if (!interval) return {};
  const std::chrono::milliseconds grace = impl_->options.grace_period().value_or(2 * *interval);
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->run(Access::Read, [&] {
    impl_->require_study(study_id);
    // Both times come from the server's clock. Trials without a heartbeat row never had a
    // heartbeat thread and are never stale.
    const pg::Result r = impl_->connection.exec(
        "SELECT t.trial_id FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
        "WHERE t.study_id = $1 AND t.state = 'RUNNING' "
        "AND LOCALTIMESTAMP - h.heartbeat > $2 * INTERVAL '1 millisecond' ORDER BY t.trial_id",
        {param(study_id), param(static_cast<std::int64_t>(grace.count()))});
    std::vector<std::int64_t> stale;
    for (int i = 0; i < r.rows(); ++i) stale.push_back(r.int64(i, 0));
    return stale;
  });
}

FailedTrialCallback PostgresStorage::failed_trial_callback() const { return impl_->options.failed_trial_callback(); }

}  // namespace hpo
