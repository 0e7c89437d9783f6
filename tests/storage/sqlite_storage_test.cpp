// What only the SQLite storage has: the file format (schema, revisions, encodings),
// refusing foreign files, open_storage URLs, the finished-trial cache, heartbeats.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <thread>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "hpo/error.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"
#include "storage_fixture.hpp"

namespace hpo {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string scalar(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, sql);
  return q.executeStep() && !q.getColumn(0).isNull() ? q.getColumn(0).getString() : "<none>";
}

void execute(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec(sql);
}

class SqliteStorageTest : public ::testing::Test {
 protected:
  test::ScratchDir dir;
  std::string db = dir.file("study.db");
};

TEST_F(SqliteStorageTest, NewFileIsAtV320ByDefaultAndV300OnRequest) {
  {
    SqliteStorage storage(db);
    EXPECT_EQ(storage.schema(), OptunaSchema::v3_2_0_a);
  }
  EXPECT_EQ(scalar(db, "SELECT version_num FROM alembic_version"), "v3.2.0.a");
  EXPECT_EQ(scalar(db, "SELECT name FROM sqlite_master WHERE name = 'ix_trials_study_id'"),
            "ix_trials_study_id");
  EXPECT_EQ(scalar(db, "SELECT version_info_id || ',' || schema_version FROM version_info"), "1,12");
  EXPECT_EQ(scalar(db, "PRAGMA journal_mode"), "wal");

  const std::string old = dir.file("old.db");
  {
    SqliteStorage storage(old, SqliteStorageOptions().schema(OptunaSchema::v3_0_0_d));
    EXPECT_EQ(storage.schema(), OptunaSchema::v3_0_0_d);
  }
  EXPECT_EQ(scalar(old, "SELECT version_num FROM alembic_version"), "v3.0.0.d");
  EXPECT_EQ(scalar(old, "SELECT count(*) FROM sqlite_master WHERE name = 'ix_trials_study_id'"), "0");
  EXPECT_EQ(scalar(old, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), "13");
}

TEST_F(SqliteStorageTest, ExistingFileKeepsItsRevision) {
  SqliteStorage(db, SqliteStorageOptions().schema(OptunaSchema::v3_0_0_d))
      .create_new_study({StudyDirection::Minimize}, "kept");
  SqliteStorage reopened(db);  // asks for the default v3.2.0.a
  EXPECT_EQ(reopened.schema(), OptunaSchema::v3_0_0_d);
  EXPECT_EQ(reopened.get_study_id_from_name("kept"), 1);
  EXPECT_EQ(scalar(db, "SELECT version_num FROM alembic_version"), "v3.0.0.d");
}

// Each refused file must come out byte-identical, with no -wal/-shm/-journal beside it.
void expect_refused_untouched(const std::string& path, const std::string& message_part) {
  const std::string before = read_bytes(path);
  try {
    SqliteStorage storage(path);
    ADD_FAILURE() << path << " was opened, expected hpo::StorageError";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "names the file: " << e.what();
  }
  EXPECT_EQ(read_bytes(path), before);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    EXPECT_FALSE(std::filesystem::exists(path + suffix)) << path + suffix;
  }
}

TEST_F(SqliteStorageTest, RefusesNonSqliteFilesUntouched) {
  const std::string text = dir.file("notes.txt");
  std::ofstream(text) << "these are my notes, not a database\n";
  expect_refused_untouched(text, "not a SQLite database");

  const std::string fake = dir.file("fake.db");
  std::ofstream(fake, std::ios::binary) << std::string("SQLite format 3\0", 16) << std::string(2000, 'x');
  expect_refused_untouched(fake, "SQLite");
}

TEST_F(SqliteStorageTest, RefusesForeignSqliteDatabasesUntouched) {
  const std::string foreign = dir.file("inventory.db");
  execute(foreign, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);"
                   "INSERT INTO items (name) VALUES ('spoon')");
  expect_refused_untouched(foreign, "not an Optuna study database");
}

TEST_F(SqliteStorageTest, RefusesOtherAlembicRevisionsUntouched) {
  SqliteStorage(db).create_new_study({StudyDirection::Minimize}, "s");
  for (const char* revision : {"v2.6.0.a", "v9.9.9.z"}) {
    {
      // Rewrite the revision in rollback-journal mode, so the file holds everything.
      SQLite::Database raw(db, SQLite::OPEN_READWRITE);
      raw.exec("PRAGMA journal_mode = DELETE");
      raw.exec(std::string("UPDATE alembic_version SET version_num = '") + revision + "'");
    }
    expect_refused_untouched(db, revision);
  }
}

TEST_F(SqliteStorageTest, OpenStorageUrls) {
  EXPECT_NE(dynamic_cast<InMemoryStorage*>(open_storage("").get()), nullptr);
  const std::string absolute = dir.file("abs.db");
  ASSERT_EQ(absolute.front(), '/');
  auto s = open_storage("sqlite:///" + absolute);  // four slashes in all
  ASSERT_NE(dynamic_cast<SqliteStorage*>(s.get()), nullptr);
  EXPECT_EQ(dynamic_cast<SqliteStorage*>(s.get())->path(), absolute);
  EXPECT_TRUE(std::filesystem::exists(absolute));

  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(std::filesystem::path(absolute).parent_path());
  auto relative = open_storage("sqlite:///rel.db", SqliteStorageOptions().schema(OptunaSchema::v3_0_0_d));
  std::filesystem::current_path(cwd);
  EXPECT_TRUE(std::filesystem::exists(dir.file("rel.db")));
  EXPECT_EQ(dynamic_cast<SqliteStorage*>(relative.get())->schema(), OptunaSchema::v3_0_0_d);

  for (const char* bad : {"sqlite://", "sqlite:///", "study.db", "mysql:///x", "postgres://host/db"}) {
    try {
      open_storage(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST_F(SqliteStorageTest, RowsAreEncodedAsOptunaWritesThem) {
  SqliteStorage storage(db);
  const std::int64_t s = storage.create_new_study({StudyDirection::Maximize, StudyDirection::Minimize}, "enc");
  const std::int64_t t = storage.create_new_trial(s);
  storage.set_trial_param(t, "opt", 2, CategoricalDistribution({"sgd", "adam", nullptr}));
  storage.set_trial_param(t, "lr", 1e-3, FloatDistribution(1e-5, 0.1, true));
  storage.set_trial_intermediate_value(t, 0, std::numeric_limits<double>::quiet_NaN());
  storage.set_trial_intermediate_value(t, 1, -kInf);
  storage.set_trial_user_attr(t, "a", std::numeric_limits<double>::quiet_NaN());
  EXPECT_THROW(storage.set_trial_state_values(t, TrialState::Complete,
                                              {std::numeric_limits<double>::quiet_NaN(), 1.0}),
               ValueError);
  EXPECT_EQ(storage.get_trial(t).state, TrialState::Running) << "the refused update changed nothing";
  storage.set_trial_state_values(t, TrialState::Complete, {kInf, 0.5});

  EXPECT_EQ(scalar(db, "SELECT group_concat(direction) FROM study_directions"), "MAXIMIZE,MINIMIZE");
  EXPECT_EQ(scalar(db, "SELECT state FROM trials"), "COMPLETE");
  EXPECT_EQ(scalar(db, "SELECT number FROM trials"), "0");
  const std::regex datetime(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})");
  EXPECT_TRUE(std::regex_match(scalar(db, "SELECT datetime_start FROM trials"), datetime));
  EXPECT_TRUE(std::regex_match(scalar(db, "SELECT datetime_complete FROM trials"), datetime));
  EXPECT_EQ(scalar(db, "SELECT coalesce(value, 'NULL') || ' ' || value_type FROM trial_values "
                       "WHERE objective = 0"), "NULL INF_POS");
  EXPECT_EQ(scalar(db, "SELECT value || ' ' || value_type FROM trial_values WHERE objective = 1"),
            "0.5 FINITE");
  EXPECT_EQ(scalar(db, "SELECT coalesce(intermediate_value, 'NULL') || ' ' || "
                       "intermediate_value_type FROM trial_intermediate_values WHERE step = 0"),
            "NULL NAN");
  EXPECT_EQ(scalar(db, "SELECT intermediate_value_type FROM trial_intermediate_values WHERE step = 1"),
            "INF_NEG");
  EXPECT_EQ(scalar(db, "SELECT param_value FROM trial_params WHERE param_name = 'opt'"), "2.0");
  EXPECT_EQ(scalar(db, "SELECT distribution_json FROM trial_params WHERE param_name = 'opt'"),
            distribution_to_json(CategoricalDistribution({"sgd", "adam", nullptr})));
  EXPECT_EQ(scalar(db, "SELECT value_json FROM trial_user_attributes"), "NaN");
}

TEST_F(SqliteStorageTest, FinishedTrialsAreCachedAndOnlyChangesAreRead) {
  SqliteStorage storage(db);
  const std::int64_t s = storage.create_new_study({StudyDirection::Minimize}, "cache");
  const std::int64_t done = storage.create_new_trial(s);
  storage.set_trial_state_values(done, TrialState::Complete, {1.0});
  const std::int64_t running = storage.create_new_trial(s);
  ASSERT_EQ(storage.get_all_trials(s).size(), 2u);

  // Change both trials behind the storage's back. A finished trial is immutable for
  // Optuna, so the cached copy is still served: proof that it is not read again. The
  // running trial is read again.
  execute(db, "UPDATE trial_values SET value = 42 WHERE trial_id = " + std::to_string(done));
  execute(db, "INSERT INTO trial_user_attributes (trial_id, \"key\", value_json) VALUES (" +
                  std::to_string(running) + ", 'seen', 'true')");
  // Another worker adds a trial.
  SqliteStorage other(db);
  other.set_trial_state_values(other.create_new_trial(s), TrialState::Complete, {3.0});

  const std::vector<FrozenTrial> trials = storage.get_all_trials(s);
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].values, std::vector<double>{1.0}) << "served from the cache";
  EXPECT_EQ(trials[1].user_attrs.count("seen"), 1u) << "unfinished trials are re-read";
  EXPECT_EQ(trials[2].values, std::vector<double>{3.0}) << "new trials are read";
  EXPECT_EQ(storage.get_trial(done).values, std::vector<double>{1.0});
  EXPECT_EQ(SqliteStorage(db).get_trial(done).values, std::vector<double>{42.0}) << "a new reader";
  // Once the running trial finishes it is read once more, then cached.
  other.set_trial_state_values(running, TrialState::Fail);
  EXPECT_EQ(storage.get_all_trials(s)[1].state, TrialState::Fail);
}

TEST_F(SqliteStorageTest, WaitsForAnotherWritersLockInsteadOfFailing) {
  using std::chrono::milliseconds;
  SqliteStorage storage(db);
  SQLite::Database other(db, SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");  // another process holds the write lock for a while
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(300));
    other.exec("COMMIT");
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(storage.create_new_study({StudyDirection::Minimize}, "patient"));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(250));
  release.join();

  // Past the budget the caller gets hpo::StorageError, not SQLite's exception.
  SqliteStorage hasty(db, SqliteStorageOptions().busy_timeout(milliseconds(100)));
  other.exec("BEGIN IMMEDIATE");
  try {
    hasty.create_new_study({StudyDirection::Minimize}, "hasty");
    ADD_FAILURE() << "wrote through another writer's lock";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
  }
  other.exec("ROLLBACK");
  EXPECT_THROW(storage.get_study_id_from_name("hasty"), NotFoundError);
}

TEST_F(SqliteStorageTest, HeartbeatsMarkStaleRunningTrials) {
  using std::chrono::milliseconds;
  SqliteStorage storage(db, SqliteStorageOptions().heartbeat_interval(milliseconds(50)));
  EXPECT_EQ(storage.heartbeat_interval(), milliseconds(50));
  EXPECT_FALSE(storage.failed_trial_callback());
  const std::int64_t s = storage.create_new_study({StudyDirection::Minimize}, "hb");
  const std::int64_t beating = storage.create_new_trial(s);
  const std::int64_t silent = storage.create_new_trial(s);
  // Created by a worker without heartbeats: no heartbeat row, never stale.
  const std::int64_t never = SqliteStorage(db).create_new_trial(s);
  const std::int64_t finished = storage.create_new_trial(s);
  for (std::int64_t t : {beating, silent, finished}) storage.record_heartbeat(t);
  storage.set_trial_state_values(finished, TrialState::Complete, {1.0});
  // The heartbeat thread may beat once more after another worker failed its trial.
  EXPECT_NO_THROW(storage.record_heartbeat(finished));
  EXPECT_NO_THROW(storage.record_heartbeat(987654));
  EXPECT_TRUE(storage.get_stale_trial_ids(s).empty());
  std::this_thread::sleep_for(milliseconds(150));  // > grace period, default 2 × 50 ms
  storage.record_heartbeat(beating);
  EXPECT_EQ(storage.get_stale_trial_ids(s), std::vector<std::int64_t>{silent});
  EXPECT_TRUE(std::regex_match(
      scalar(db, "SELECT heartbeat FROM trial_heartbeats WHERE trial_id = " + std::to_string(beating)),
      std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})")));
  (void)never;

  bool called = false;
  SqliteStorage patient(db, SqliteStorageOptions()
                                .heartbeat_interval(milliseconds(50))
                                .grace_period(milliseconds(60000))
                                .failed_trial_callback([&](Study&, const FrozenTrial&) { called = true; }));
  EXPECT_TRUE(patient.get_stale_trial_ids(s).empty()) << "a long grace period";
  EXPECT_TRUE(patient.failed_trial_callback());
  EXPECT_TRUE(SqliteStorage(db).get_stale_trial_ids(s).empty()) << "heartbeats off";
  EXPECT_FALSE(called);
}

TEST_F(SqliteStorageTest, FirstHeartbeatIsWrittenWithTheTrial) {
  SqliteStorage storage(db, SqliteStorageOptions().heartbeat_interval(std::chrono::milliseconds(60000)));
  const std::int64_t s = storage.create_new_study({StudyDirection::Minimize}, "hb");
  const std::int64_t created = storage.create_new_trial(s);
  FrozenTrial waiting;
  waiting.state = TrialState::Waiting;
  const std::int64_t queued = storage.create_new_trial(s, &waiting);
  auto heartbeats_of = [&](std::int64_t trial_id) {
    return scalar(db, "SELECT count(*) FROM trial_heartbeats WHERE trial_id = " + std::to_string(trial_id));
  };
  EXPECT_EQ(heartbeats_of(created), "1") << "no record_heartbeat yet: the creating transaction wrote it";
  EXPECT_EQ(heartbeats_of(queued), "0") << "a WAITING trial has no worker to beat for it";
  ASSERT_TRUE(storage.set_trial_state_values(queued, TrialState::Running));
  EXPECT_EQ(heartbeats_of(queued), "1") << "claiming it beats once, in the same transaction";
  EXPECT_EQ(heartbeats_of(SqliteStorage(db).create_new_trial(s)), "0") << "heartbeats off";
}

// A worker killed inside ask(), before its heartbeat thread started: its trial goes
// stale, and the next worker fails it and runs its retry.
TEST_F(SqliteStorageTest, TrialOfAWorkerKilledInAskIsFailedAndRetried) {
  using std::chrono::milliseconds;
  const auto options = SqliteStorageOptions()
                           .heartbeat_interval(milliseconds(50))
                           .failed_trial_callback(RetryFailedTrialCallback());
  const StudyOptions study_options =
      StudyOptions().study_name("killed").sampler(std::make_shared<RandomSampler>(1));
  {
    Study dead = create_study(std::make_shared<SqliteStorage>(db, options), study_options);
    Trial asked = dead.ask();
    asked.suggest_float("x", 0, 1);
  }
  std::this_thread::sleep_for(milliseconds(150));  // > grace period, default 2 × 50 ms
  Study next = load_study(std::make_shared<SqliteStorage>(db, options), "killed", study_options);
  next.optimize([](Trial& t) { return t.suggest_float("x", 0, 1); }, OptimizeOptions().n_trials(1));
  const std::vector<FrozenTrial> trials = next.trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::Fail);
  EXPECT_EQ(trials[1].state, TrialState::Complete);
  EXPECT_EQ(trials[1].system_attrs.at("failed_trial"), 0);
  EXPECT_EQ(trials[1].params.at("x"), trials[0].params.at("x")) << "the retry runs the same params";
}

// A WAL database that this user cannot write, opened while no writer is connected, is
// read without locks (immutable). Once a writer appears, its reads refuse instead of
// reading pages that a checkpoint may be rewriting under them.
TEST_F(SqliteStorageTest, LockFreeReadOnlyOpenRefusesOnceAWriterAppears) {
  std::int64_t s = 0;
  {
    SqliteStorage setup(db);
    s = setup.create_new_study({StudyDirection::Minimize}, "ro");
    setup.set_trial_state_values(setup.create_new_trial(s), TrialState::Complete, {1.0});
  }
  ASSERT_FALSE(std::filesystem::exists(db + "-wal")) << "the last connection removes it";
  ASSERT_EQ(::chmod(db.c_str(), 0444), 0);
  int to_parent[2];
  int to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    ::close(to_parent[0]);
    ::close(to_child[1]);
    // Root may write whatever the mode, so the reader becomes user nobody.
    if (::geteuid() == 0 && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) _exit(10);
    char ack = 0;
    try {
      SqliteStorage reader(db);
      if (reader.get_all_trials(s).size() != 1) _exit(11);
      if (::write(to_parent[1], "r", 1) != 1 || ::read(to_child[0], &ack, 1) != 1) _exit(12);
      reader.get_all_trials(s);
      _exit(13);  // read while a writer is connected
    } catch (const StorageError& e) {
      _exit(std::string(e.what()).find("a writer has opened it") != std::string::npos ? 0 : 14);
    } catch (...) {
      _exit(15);
    }
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  char ack = 0;
  ASSERT_EQ(::read(to_parent[0], &ack, 1), 1) << "the reader died before its first read";
  ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
  SqliteStorage writer(db);
  writer.create_new_trial(s);
  ASSERT_EQ(::write(to_child[1], "w", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: cannot become nobody, 11: first read, 12: pipe, 13: read while a "
                                       "writer is connected, 14: wrong message, 15: other error";
}

}  // namespace
}  // namespace hpo
