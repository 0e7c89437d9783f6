#include "hpo/storage/sqlite_storage.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <type_traits>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include "hpo/error.hpp"
#include "sqlite_datetime.hpp"
#include "sqlite_float_encoding.hpp"
#include "sqlite_read_only.hpp"
#include "sqlite_retry.hpp"
#include "sqlite_schema.hpp"
#include "sqlite_statement_cache.hpp"
#include "sqlite_trial_reader.hpp"
#include "trial_cache.hpp"

namespace hpo {
namespace {

using sqlite::retry_on_contention;

const char* synchronous_pragma(SqliteSynchronous mode) {
  switch (mode) {
    case SqliteSynchronous::Off: return "PRAGMA synchronous = OFF";
    case SqliteSynchronous::Full: return "PRAGMA synchronous = FULL";
    case SqliteSynchronous::Normal: break;
  }
  return "PRAGMA synchronous = NORMAL";
}

// SQLite takes the busy timeout as an int of milliseconds.
int busy_timeout_ms(std::chrono::milliseconds budget) {
  return static_cast<int>(std::min<std::chrono::milliseconds::rep>(
      budget.count(), std::numeric_limits<int>::max()));
}

// Validates an existing file without writing to it: the header check reads bytes, the
// schema check runs on a read-only connection. Only then may a read-write connection
// (which switches the file to WAL) touch it. Returns the file's schema revision, or
// nullopt when it has no tables yet (or does not exist).
std::optional<OptunaSchema> check_existing_file(const std::string& path, std::chrono::milliseconds budget) {
  sqlite::check_sqlite_file_header(path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return std::nullopt;
  return retry_on_contention(budget, path, [&] {
    SQLite::Database db(path, SQLite::OPEN_READONLY, busy_timeout_ms(budget));
    return sqlite::inspect_schema(db, path);
  });
}

SQLite::Database open_read_write(const std::string& path, std::chrono::milliseconds budget) {
  try {
    return SQLite::Database(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                            busy_timeout_ms(budget));
  } catch (const SQLite::Exception& e) {
    throw StorageError("cannot open the SQLite database '" + path + "': " + e.what());
  }
}

// The connection of a storage, and what opening it found out about the file.
struct OpenedDatabase {
  SQLite::Database db;
  // The revision of an existing Optuna database; nullopt for a new or empty file, whose
  // schema the storage creates.
  std::optional<OptunaSchema> schema;
  // Set when the connection is read-only: why the file cannot be written.
  std::optional<std::string> read_only_reason;
};

// Opening writes nothing to a file that is already an Optuna database in WAL mode: such a
// file may be shared by workers that should not all take the write lock just to open it.
// A file this user cannot write is opened read-only (if it has the schema), whatever its
// journal mode, so that reading works and every write is refused with the reason.
OpenedDatabase open_database(const std::string& path, const SqliteStorageOptions& options) {
  const int timeout_ms = busy_timeout_ms(options.busy_timeout());
  if (std::optional<std::string> reason = sqlite::unwritable_reason(path)) {
    sqlite::check_sqlite_file_header(path);
    return retry_on_contention(options.busy_timeout(), path, [&] {
      OpenedDatabase opened{sqlite::open_read_only(path, timeout_ms), std::nullopt, reason};
      opened.schema = sqlite::inspect_schema(opened.db, path);
      if (!opened.schema) {
        throw StorageError("cannot create the study tables in '" + path + "': " + *reason);
      }
      return opened;
    });
  }
  const std::optional<OptunaSchema> existing = check_existing_file(path, options.busy_timeout());
  OpenedDatabase opened{open_read_write(path, options.busy_timeout()), existing, std::nullopt};
  // The file is new, empty or a valid Optuna database (check_existing_file), so it may be
  // switched to WAL before the schema exists, which spares the schema its own fsyncs. WAL
  // lets readers proceed while one process writes, and makes a commit one append to the
  // log instead of a rewrite of the pages plus a journal. Asking first, because even a
  // switch to the mode the file already has takes a lock.
  retry_on_contention(options.busy_timeout(), path, [&] {
    if (opened.db.execAndGet("PRAGMA journal_mode").getString() != "wal") {
      opened.db.exec("PRAGMA journal_mode = WAL");
    }
    opened.db.exec(synchronous_pragma(options.synchronous()));
  });
  return opened;
}

}  // namespace

class SqliteStorage::Impl {
 public:
  Impl(const std::string& path_, const SqliteStorageOptions& options_);
  Impl(const std::string& path_, const SqliteStorageOptions& options_, OpenedDatabase&& opened);

  std::string path;
  SqliteStorageOptions options;
  OptunaSchema schema = OptunaSchema::v3_2_0_a;
  std::optional<std::string> read_only_reason;  // set when opened read-only
  std::mutex mutex;  // one connection, one transaction at a time

  TrialCache cache;

  SQLite::Database db;
  sqlite::StatementCache statements;
  sqlite::TrialReader reader;

  template <class F>
  auto transaction(SQLite::TransactionBehavior behavior, F&& body) {
    return retry_on_contention(options.busy_timeout(), path, [&] {
      SQLite::Transaction txn(db, behavior);  // rolls back unless committed
      // Destroyed before `txn`: statements are reset before a rollback, too.
      struct ResetStatements {
        sqlite::StatementCache& cache;
        ~ResetStatements() { cache.reset_all_in_use(); }
      } reset{statements};
      if constexpr (std::is_void_v<decltype(body())>) {
        body();
        statements.reset_all_in_use();
        txn.commit();
      } else {
        auto result = body();
        statements.reset_all_in_use();
        txn.commit();
        return result;
      }
    });
  }

  // Binds (trial_id, objective or step, value, value type) of the two float tables.
  static void bind_stored(SQLite::Statement& q, std::int64_t trial_id, std::int64_t key,
                          const sqlite::StoredFloat& stored) {
    q.bind(1, trial_id);
    q.bind(2, key);
    if (stored.value) {
      q.bind(3, *stored.value);
    } else {
      q.bind(3);
    }
    q.bind(4, stored.type);
  }

  // Runs `body` as one write transaction. BEGIN IMMEDIATE takes the write lock up front,
  // so two workers never both read "next number = N" and a transaction never has to be
  // upgraded from read to write half-way (which SQLite cannot wait for).
  template <class F>
  auto write(F&& body) {
    if (read_only_reason) {
      throw StorageError("cannot write to the study database '" + path + "': it is open read-only because " +
                         *read_only_reason);
    }
    return transaction(SQLite::TransactionBehavior::IMMEDIATE, std::forward<F>(body));
  }
  // A read transaction, so that the several queries of one call see one snapshot.
  template <class F>
  auto read(F&& body) {
    return transaction(SQLite::TransactionBehavior::DEFERRED, std::forward<F>(body));
  }

  void require_study(std::int64_t study_id) {
    SQLite::Statement& q = statements("SELECT 1 FROM studies WHERE study_id = ?");
    q.bind(1, study_id);
    if (!q.executeStep()) throw NotFoundError("no study with id " + std::to_string(study_id));
  }

  struct TrialRef {
    std::int64_t study_id;
    TrialState state;
  };
  // The trial's study and state, after checking that the trial exists and may change.
  TrialRef updatable_trial(std::int64_t trial_id) {
    SQLite::Statement& q =
        statements("SELECT study_id, state, number FROM trials WHERE trial_id = ?");
    q.bind(1, trial_id);
    if (!q.executeStep()) throw NotFoundError("no trial with id " + std::to_string(trial_id));
    const TrialRef ref{q.getColumn(0).getInt64(), trial_state_from_string(q.getColumn(1).getString())};
    if (is_finished(ref.state)) {
      throw UpdateFinishedTrialError("trial " + q.getColumn(2).getString() + " (id " +
                                     std::to_string(trial_id) + ") is already " +
                                     to_string(ref.state) + " and cannot be changed");
    }
    return ref;
  }

  // Optuna checks a parameter's distribution against the one the name has anywhere in
  // the study; the cache answers after the first lookup.
  void check_param_distribution(std::int64_t study_id, const std::string& name,
                                const Distribution& distribution) {
    if (const Distribution* known = cache.distribution(study_id, name)) {
      check_distribution_compatibility(name, *known, distribution);
      return;
    }
    SQLite::Statement& q = statements(
        "SELECT p.distribution_json FROM trial_params p JOIN trials t "
        "ON t.trial_id = p.trial_id WHERE t.study_id = ? AND p.param_name = ? LIMIT 1");
    q.bind(1, study_id);
    q.bind(2, name);
    if (q.executeStep()) {
      check_distribution_compatibility(name, distribution_from_json(q.getColumn(0).getString()),
                                       distribution);
    }
  }

  void write_param(std::int64_t trial_id, const std::string& name, double internal_value,
                   const Distribution& distribution) {
    SQLite::Statement& q = statements(
        "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (trial_id, param_name) DO UPDATE SET "
        "param_value = excluded.param_value, distribution_json = excluded.distribution_json");
    q.bind(1, trial_id);
    q.bind(2, name);
    q.bind(3, internal_value);
    q.bind(4, distribution_to_json(distribution));
    q.exec();
  }

  void write_value(std::int64_t trial_id, int objective, double value) {
    const sqlite::StoredFloat stored = sqlite::encode_float(value, /*allow_nan=*/false);
    SQLite::Statement& q = statements(
        "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (trial_id, objective) DO UPDATE SET "
        "value = excluded.value, value_type = excluded.value_type");
    bind_stored(q, trial_id, objective, stored);
    q.exec();
  }

  void write_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) {
    const sqlite::StoredFloat stored = sqlite::encode_float(value, /*allow_nan=*/true);
    SQLite::Statement& q = statements(
        "INSERT INTO trial_intermediate_values "
        "(trial_id, step, intermediate_value, intermediate_value_type) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = "
        "excluded.intermediate_value, intermediate_value_type = "
        "excluded.intermediate_value_type");
    bind_stored(q, trial_id, step, stored);
    q.exec();
  }

  // The four attribute tables share one shape: (<owner>_id, "key", value_json).
  void write_attribute(const std::string& table, const std::string& owner_column,
                       std::int64_t owner_id, const std::string& key, const Json& value) {
    SQLite::Statement& q = statements(
        "INSERT INTO " + table + " (" + owner_column + ", \"key\", value_json) VALUES (?, ?, ?) "
        "ON CONFLICT (" + owner_column + ", \"key\") DO UPDATE SET value_json = excluded.value_json");
    q.bind(1, owner_id);
    q.bind(2, key);
    q.bind(3, dump_json(value));
    q.exec();
  }

  AttrMap read_study_attributes(const std::string& table, std::int64_t study_id) {
    return read([&] {
      require_study(study_id);
      SQLite::Statement& q =
          statements("SELECT \"key\", value_json FROM " + table + " WHERE study_id = ?");
      q.bind(1, study_id);
      AttrMap attrs;
      while (q.executeStep()) {
        attrs[q.getColumn(0).getString()] = parse_json(q.getColumn(1).getString());
      }
      return attrs;
    });
  }

  void set_study_attribute(const std::string& table, std::int64_t study_id,
                           const std::string& key, const Json& value) {
    write([&] {
      require_study(study_id);
      write_attribute(table, "study_id", study_id, key, value);
    });
  }

  void set_trial_attribute(const std::string& table, std::int64_t trial_id,
                           const std::string& key, const Json& value) {
    write([&] {
      updatable_trial(trial_id);
      write_attribute(table, "trial_id", trial_id, key, value);
    });
  }

  // Brings the study's cache up to date and returns its trials in `states` (all when
  // unset). Reads the `trials` rows above the watermark, then the details of those the
  // cache needs, in runs of adjacent trials (typically: the trials other workers are
  // running, and those created since the last call). So asking for the WAITING trials
  // reads no details of the RUNNING ones, however many crashed workers left behind.
  std::vector<SharedTrial> refresh(std::int64_t study_id,
                                   const std::optional<std::vector<TrialState>>& states) {
    std::vector<FrozenTrial> rows = read([&] {
      try {
        require_study(study_id);
      } catch (const NotFoundError&) {
        cache.forget_study(study_id);  // deleted by another process
        throw;
      }
      std::vector<FrozenTrial> read_rows = reader.read_rows(study_id, cache.watermark(study_id));
      std::size_t run_begin = 0;
      for (std::size_t i = 0; i < read_rows.size(); ++i) {
        if (!cache.needs_details(study_id, read_rows[i], states)) {
          reader.read_details(read_rows, run_begin, i);
          run_begin = i + 1;
        }
      }
      reader.read_details(read_rows, run_begin, read_rows.size());
      return read_rows;
    });
    return cache.absorb(study_id, std::move(rows), states);
  }
};

SqliteStorage::Impl::Impl(const std::string& path_, const SqliteStorageOptions& options_)
    : Impl(path_, options_, open_database(path_, options_)) {}

SqliteStorage::Impl::Impl(const std::string& path_, const SqliteStorageOptions& options_, OpenedDatabase&& opened)
    : path(path_),
      options(options_),
      read_only_reason(std::move(opened.read_only_reason)),
      db(std::move(opened.db)),
      statements(db),
      reader(statements) {
  if (opened.schema) {  // a schema, once complete, never changes
    schema = *opened.schema;
    return;
  }
  // Several processes may create the same new file at once: the schema is created in a
  // write transaction after checking, inside it, that nobody else has.
  schema = write([&] {
    const std::optional<OptunaSchema> existing = sqlite::inspect_schema(db, path);
    if (existing) return *existing;
    sqlite::create_schema(db, options.schema());
    return options.schema();
  });
}

// ---------------------------------------------------------------------------------------

SqliteStorage::SqliteStorage(const std::string& path, const SqliteStorageOptions& options)
    : impl_(std::make_unique<Impl>(path, options)) {}

SqliteStorage::~SqliteStorage() = default;

OptunaSchema SqliteStorage::schema() const { return impl_->schema; }
const std::string& SqliteStorage::path() const { return impl_->path; }

std::int64_t SqliteStorage::create_new_study(const std::vector<StudyDirection>& directions,
                                             const std::string& study_name) {
  if (directions.empty()) throw ValueError("a study needs at least one direction, got none");
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->write([&] {
    SQLite::Statement& taken = impl_->statements("SELECT 1 FROM studies WHERE study_name = ?");
    taken.bind(1, study_name);
    if (taken.executeStep()) {
      throw DuplicatedStudyError("a study named '" + study_name + "' already exists");
    }
    SQLite::Statement& insert = impl_->statements("INSERT INTO studies (study_name) VALUES (?)");
    insert.bind(1, study_name);
    insert.exec();
    const std::int64_t study_id = impl_->db.getLastInsertRowid();
    for (std::size_t objective = 0; objective < directions.size(); ++objective) {
      SQLite::Statement& direction = impl_->statements(
          "INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, ?)");
      direction.bind(1, to_string(directions[objective]));
      direction.bind(2, study_id);
      direction.bind(3, static_cast<std::int64_t>(objective));
      direction.exec();
    }
    return study_id;
  });
}

void SqliteStorage::delete_study(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->write([&] {
    impl_->require_study(study_id);
    // Optuna's DDL has no ON DELETE CASCADE: children go first, explicitly.
    for (const char* table : {"trial_params", "trial_values", "trial_intermediate_values",
                              "trial_user_attributes", "trial_system_attributes",
                              "trial_heartbeats"}) {
      SQLite::Statement& q = impl_->statements(
          std::string("DELETE FROM ") + table +
          " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?)");
      q.bind(1, study_id);
      q.exec();
    }
    for (const char* table : {"trials", "study_user_attributes", "study_system_attributes",
                              "study_directions", "studies"}) {
      SQLite::Statement& q =
          impl_->statements(std::string("DELETE FROM ") + table + " WHERE study_id = ?");
      q.bind(1, study_id);
      q.exec();
    }
  });
  impl_->cache.forget_study(study_id);
}

void SqliteStorage::set_study_user_attr(std::int64_t study_id, const std::string& key,
                                        const Json& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->set_study_attribute("study_user_attributes", study_id, key, value);
}

void SqliteStorage::set_study_system_attr(std::int64_t study_id, const std::string& key,
                                          const Json& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->set_study_attribute("study_system_attributes", study_id, key, value);
}

std::int64_t SqliteStorage::get_study_id_from_name(const std::string& study_name) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read([&] {
    SQLite::Statement& q = impl_->statements("SELECT study_id FROM studies WHERE study_name = ?");
    q.bind(1, study_name);
    if (!q.executeStep()) throw NotFoundError("no study named '" + study_name + "'");
    return q.getColumn(0).getInt64();
  });
}

std::string SqliteStorage::get_study_name_from_id(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read([&] {
    SQLite::Statement& q = impl_->statements("SELECT study_name FROM studies WHERE study_id = ?");
    q.bind(1, study_id);
    if (!q.executeStep()) throw NotFoundError("no study with id " + std::to_string(study_id));
    return q.getColumn(0).getString();
  });
}

std::vector<StudyDirection> SqliteStorage::get_study_directions(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read([&] {
    impl_->require_study(study_id);
    SQLite::Statement& q = impl_->statements(
        "SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective");
    q.bind(1, study_id);
    std::vector<StudyDirection> directions;
    while (q.executeStep()) directions.push_back(study_direction_from_string(q.getColumn(0).getString()));
    return directions;
  });
}

AttrMap SqliteStorage::get_study_user_attrs(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read_study_attributes("study_user_attributes", study_id);
}

AttrMap SqliteStorage::get_study_system_attrs(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read_study_attributes("study_system_attributes", study_id);
}

std::vector<FrozenStudy> SqliteStorage::get_all_studies() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read([&] {
    std::map<std::int64_t, FrozenStudy> studies;
    SQLite::Statement& names = impl_->statements("SELECT study_id, study_name FROM studies");
    while (names.executeStep()) {
      FrozenStudy& study = studies[names.getColumn(0).getInt64()];
      study.study_id = names.getColumn(0).getInt64();
      study.study_name = names.getColumn(1).getString();
    }
    SQLite::Statement& directions = impl_->statements(
        "SELECT study_id, direction FROM study_directions ORDER BY study_id, objective");
    while (directions.executeStep()) {
      auto it = studies.find(directions.getColumn(0).getInt64());
      if (it != studies.end()) {
        it->second.directions.push_back(
            study_direction_from_string(directions.getColumn(1).getString()));
      }
    }
    for (const bool user : {true, false}) {
      SQLite::Statement& attrs = impl_->statements(
          std::string("SELECT study_id, \"key\", value_json FROM ") +
          (user ? "study_user_attributes" : "study_system_attributes"));
      while (attrs.executeStep()) {
        auto it = studies.find(attrs.getColumn(0).getInt64());
        if (it == studies.end()) continue;
        AttrMap& target = user ? it->second.user_attrs : it->second.system_attrs;
        target[attrs.getColumn(1).getString()] = parse_json(attrs.getColumn(2).getString());
      }
    }
    std::vector<FrozenStudy> result;
    for (auto& entry : studies) result.push_back(std::move(entry.second));
    return result;
  });
}

std::int64_t SqliteStorage::create_new_trial(std::int64_t study_id,
                                             const FrozenTrial* template_trial) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  const std::int64_t trial_id = s.write([&] {
    s.require_study(study_id);
    if (template_trial) {
      for (const auto& [name, distribution] : template_trial->distributions) {
        s.check_param_distribution(study_id, name, distribution);
      }
    }
    // A trial's number is its rank by trial_id within the study, i.e. one more than the
    // number of the study's newest trial; the write lock taken by BEGIN IMMEDIATE makes
    // this race-free across processes. (Reading one row keeps this O(log n) instead of
    // counting the study's trials.)
    SQLite::Statement& last = s.statements(
        "SELECT number FROM trials WHERE study_id = ? ORDER BY trial_id DESC LIMIT 1");
    last.bind(1, study_id);
    const std::int64_t number = last.executeStep() ? last.getColumn(0).getInt64() + 1 : 0;

    SQLite::Statement& insert = s.statements(
        "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
        "VALUES (?, ?, ?, ?, ?)");
    insert.bind(1, number);
    insert.bind(2, study_id);
    insert.bind(3, to_string(template_trial ? template_trial->state : TrialState::Running));
    const std::optional<TimePoint> start =
        template_trial ? template_trial->datetime_start : std::optional<TimePoint>(Clock::now());
    const std::optional<TimePoint> complete =
        template_trial ? template_trial->datetime_complete : std::nullopt;
    if (start) insert.bind(4, sqlite::format_datetime(*start));
    if (complete) insert.bind(5, sqlite::format_datetime(*complete));
    insert.exec();
    const std::int64_t id = s.db.getLastInsertRowid();

    if (template_trial) {
      for (std::size_t i = 0; i < template_trial->values.size(); ++i) {
        s.write_value(id, static_cast<int>(i), template_trial->values[i]);
      }
      for (const auto& [name, distribution] : template_trial->distributions) {
        auto value = template_trial->params.find(name);
        if (value == template_trial->params.end()) {
          throw ValueError("template trial has a distribution but no value for '" + name + "'");
        }
        s.write_param(id, name, to_internal(distribution, value->second), distribution);
      }
      for (const auto& [step, value] : template_trial->intermediate_values) {
        s.write_intermediate_value(id, step, value);
      }
      for (const auto& [key, value] : template_trial->user_attrs) {
        s.write_attribute("trial_user_attributes", "trial_id", id, key, value);
      }
      for (const auto& [key, value] : template_trial->system_attrs) {
        s.write_attribute("trial_system_attributes", "trial_id", id, key, value);
      }
    }
    return id;
  });
  if (template_trial) {
    for (const auto& [name, distribution] : template_trial->distributions) {
      s.cache.remember_distribution(study_id, name, distribution);
    }
  }
  return trial_id;
}

void SqliteStorage::set_trial_param(std::int64_t trial_id, const std::string& param_name,
                                    double internal_value, const Distribution& distribution) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  to_external(distribution, internal_value);  // throws for a value outside the distribution
  const std::int64_t study_id = s.write([&] {
    const Impl::TrialRef trial = s.updatable_trial(trial_id);
    s.check_param_distribution(trial.study_id, param_name, distribution);
    s.write_param(trial_id, param_name, internal_value, distribution);
    return trial.study_id;
  });
  s.cache.remember_distribution(study_id, param_name, distribution);
}

std::int64_t SqliteStorage::get_trial_id_from_study_id_trial_number(std::int64_t study_id,
                                                                    int trial_number) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read([&] {
    SQLite::Statement& q =
        impl_->statements("SELECT trial_id FROM trials WHERE study_id = ? AND number = ?");
    q.bind(1, study_id);
    q.bind(2, trial_number);
    if (!q.executeStep()) {
      throw NotFoundError("no trial number " + std::to_string(trial_number) +
                          " in the study with id " + std::to_string(study_id));
    }
    return q.getColumn(0).getInt64();
  });
}

bool SqliteStorage::set_trial_state_values(std::int64_t trial_id, TrialState state,
                                           const std::vector<double>& values) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  return s.write([&] {
    const Impl::TrialRef trial = s.updatable_trial(trial_id);
    if (state == TrialState::Running && trial.state != TrialState::Waiting) return false;
    for (std::size_t i = 0; i < values.size(); ++i) {
      s.write_value(trial_id, static_cast<int>(i), values[i]);
    }
    SQLite::Statement& update = s.statements(
        "UPDATE trials SET state = ?, datetime_start = COALESCE(?, datetime_start), "
        "datetime_complete = COALESCE(?, datetime_complete) WHERE trial_id = ?");
    const std::string now = sqlite::format_datetime(Clock::now());
    update.bind(1, to_string(state));
    if (state == TrialState::Running) update.bind(2, now);
    if (is_finished(state)) update.bind(3, now);
    update.bind(4, trial_id);
    update.exec();
    return true;
  });
}

void SqliteStorage::set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step,
                                                 double value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->write([&] {
    impl_->updatable_trial(trial_id);
    impl_->write_intermediate_value(trial_id, step, value);
  });
}

void SqliteStorage::set_trial_user_attr(std::int64_t trial_id, const std::string& key,
                                        const Json& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->set_trial_attribute("trial_user_attributes", trial_id, key, value);
}

void SqliteStorage::set_trial_system_attr(std::int64_t trial_id, const std::string& key,
                                          const Json& value) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->set_trial_attribute("trial_system_attributes", trial_id, key, value);
}

FrozenTrial SqliteStorage::get_trial(std::int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl& s = *impl_;
  if (const SharedTrial cached = s.cache.find(trial_id)) return *cached;
  auto [trials, study_id] = s.read([&] {
    auto row = s.reader.read_row(trial_id);
    if (!row) throw NotFoundError("no trial with id " + std::to_string(trial_id));
    std::vector<FrozenTrial> one{std::move(row->first)};
    s.reader.read_details(one, 0, 1);
    return std::make_pair(std::move(one), row->second);
  });
  FrozenTrial& trial = trials.front();
  if (is_finished(trial.state)) s.cache.insert(study_id, trial);
  return std::move(trial);
}

std::vector<SharedTrial> SqliteStorage::get_all_trials_shared(
    std::int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->refresh(study_id, states);
}

std::optional<std::chrono::milliseconds> SqliteStorage::heartbeat_interval() const {
  return impl_->options.heartbeat_interval();
}

void SqliteStorage::record_heartbeat(std::int64_t trial_id) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  // Runs on the optimize loop's heartbeat thread, where an exception would end the
  // program: a trial that another worker has meanwhile failed (or deleted) is no error
  // here, its heartbeat is simply not needed any more.
  impl_->write([&] {
    SQLite::Statement& q = impl_->statements(
        std::string("INSERT INTO trial_heartbeats (trial_id, heartbeat) SELECT trial_id, ") +
        sqlite::kSqlUtcNow + " FROM trials WHERE trial_id = ? AND state = 'RUNNING' " +
        "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat");
    q.bind(1, trial_id);
    q.exec();
  });
}

std::vector<std::int64_t> SqliteStorage::get_stale_trial_ids(std::int64_t study_id) {
  const std::optional<std::chrono::milliseconds> interval = heartbeat_interval();
  if (!interval) return {};
  const std::chrono::milliseconds grace = impl_->options.grace_period().value_or(2 * *interval);
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->read([&] {
    impl_->require_study(study_id);
    // Trials without a heartbeat row never had a heartbeat thread and are never stale.
    SQLite::Statement& q = impl_->statements(
        "SELECT t.trial_id FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
        "WHERE t.study_id = ? AND t.state = 'RUNNING' "
        "AND (julianday('now') - julianday(h.heartbeat)) * 86400000.0 > ? ORDER BY t.trial_id");
    q.bind(1, study_id);
    q.bind(2, static_cast<double>(grace.count()));
    std::vector<std::int64_t> stale;
    while (q.executeStep()) stale.push_back(q.getColumn(0).getInt64());
    return stale;
  });
}

FailedTrialCallback SqliteStorage::failed_trial_callback() const {
  return impl_->options.failed_trial_callback();
}

}  // namespace hpo
