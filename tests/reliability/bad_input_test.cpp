// Bad input given to the `hpo` program: every case must exit with code 2 and one line on
// stderr naming the problem, and leave the database byte for byte as it was (no -wal or
// -shm file beside it either). A database the user may only read is no error for the
// commands that only read it; those that write are refused. What tests/storage and tests/cli already cover is not
// repeated: the storage's refusals of foreign files, distribution validation in the
// library, the CLI's option and JSON errors, CSV errors of the loader.
#include <unistd.h>

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>

#include "database_checks.hpp"
#include "hpo_process.hpp"

namespace hpo::cli_test {
namespace {

using reliability::file_bytes;

const std::vector<std::string> kStudy = {"--study-name", "s"};
const std::string kFloatSpace = R"({"x": {"type": "float", "low": 0.5, "high": 1}})";

const std::vector<std::vector<std::string>> kReadCommands = {
    {"studies"},
    {"trials", "--study-name", "s"},
    {"export", "--study-name", "s"},
};
const std::vector<std::vector<std::string>> kWriteCommands = {
    {"create-study", "--study-name", "t"},
    {"ask", "--study-name", "s", "--search-space", kFloatSpace},
    {"tell", "--study-name", "s", "--trial-number", "0", "--values", "1"},
    {"study", "set-user-attr", "--study-name", "s", "--key", "k", "--value", "v"},
    {"delete-study", "--study-name", "s"},
};

class BadInput : public HpoTest {
 protected:
  std::string db() const { return db_path().string(); }

  // The database and what SQLite might put beside it.
  std::vector<std::string> files_of_database() const {
    return {file_bytes(db()), file_bytes(db() + "-wal"), file_bytes(db() + "-shm"), file_bytes(db() + "-journal")};
  }

  void expect_refused(const RunResult& result, const std::string& message, const std::string& what) const {
    EXPECT_EQ(result.exit_code, 2) << what << ": " << result.err;
    EXPECT_EQ(result.out, "") << what;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << what << ": not one line: " << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << what << ": " << result.err;
  }

  // Runs `hpo command --storage <the folder's database>`. `unprivileged` runs it as user
  // nobody when the test runs as root (root may write to any file, whatever its mode).
  RunResult run_on_database(const std::vector<std::string>& command, bool unprivileged = false) const {
    std::vector<std::string> argv = {HPO_BINARY};
    if (unprivileged && ::geteuid() == 0) {
      argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", HPO_BINARY};
    }
    argv.insert(argv.end(), command.begin(), command.end());
    const std::vector<std::string> where = storage();
    argv.insert(argv.end(), where.begin(), where.end());
    return run_program(argv);
  }

  // Runs each command on the folder's database and expects it refused with `message`
  // and the database untouched.
  void expect_commands_refused(const std::vector<std::vector<std::string>>& commands, const std::string& message,
                               bool unprivileged = false) const {
    const std::vector<std::string> before = files_of_database();
    for (const std::vector<std::string>& command : commands) {
      expect_refused(run_on_database(command, unprivileged), message, command[0]);
      EXPECT_EQ(files_of_database(), before) << command[0] << " changed the database";
    }
  }

  void expect_every_command_refused(const std::string& message) const {
    expect_commands_refused(kReadCommands, message);
    expect_commands_refused(kWriteCommands, message);
  }

  // What the read commands print; run before the database is made read-only.
  std::vector<RunResult> read_command_results() const {
    std::vector<RunResult> results;
    for (const std::vector<std::string>& command : kReadCommands) results.push_back(run_on_database(command));
    return results;
  }

  // As user nobody, the read commands print what they printed before (`expected`), and
  // the write commands are refused with the file's name and `reason`; nothing changes,
  // and nothing is left beside the database.
  void expect_read_only_access(const std::vector<RunResult>& expected, const std::string& reason) const {
    const std::vector<std::string> before = files_of_database();
    for (std::size_t i = 0; i < kReadCommands.size(); ++i) {
      ASSERT_EQ(expected[i].exit_code, 0) << kReadCommands[i][0] << ": " << expected[i].err;
      const RunResult result = run_on_database(kReadCommands[i], /*unprivileged=*/true);
      EXPECT_EQ(result.exit_code, 0) << kReadCommands[i][0] << ": " << result.err;
      EXPECT_EQ(result.out, expected[i].out) << kReadCommands[i][0];
      EXPECT_EQ(result.err, "") << kReadCommands[i][0];
      EXPECT_EQ(files_of_database(), before) << kReadCommands[i][0] << " changed the database";
    }
    expect_commands_refused(kWriteCommands, "'" + db() + "': it is open read-only because " + reason,
                            /*unprivileged=*/true);
  }

  void create_study_with_trial() const {
    ASSERT_EQ(hpo(args({{"create-study"}, storage(), kStudy})).exit_code, 0);
    ASSERT_EQ(hpo(args({{"ask"}, storage(), kStudy, {"--search-space", kFloatSpace}})).exit_code, 0);
  }
};

TEST_F(BadInput, FileThatIsNotSqlite) {
  write_text(db_path(), "x,y\n1,2\n");  // e.g. a CSV file given as --storage
  expect_every_command_refused("is not a SQLite database");
}

TEST_F(BadInput, SqliteFileOfAnotherProgram) {
  {
    SQLite::Database other(db(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO bookmarks (url) VALUES ('x')");
  }
  expect_every_command_refused("not an Optuna study database");
}

TEST_F(BadInput, OptunaDatabaseOfAnUnknownSchemaRevision) {
  create_study_with_trial();
  {
    SQLite::Database raw(db(), SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA journal_mode = DELETE");  // everything in the one file
    raw.exec("UPDATE alembic_version SET version_num = 'v4.0.0.a'");
  }
  expect_every_command_refused("v4.0.0.a");
}

TEST_F(BadInput, ReadOnlyDatabase) {
  create_study_with_trial();
  const std::vector<RunResult> expected = read_command_results();
  std::filesystem::permissions(db_path(), std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                              std::filesystem::perms::others_read);
  expect_read_only_access(expected, "the file is not writable by this user");
}

TEST_F(BadInput, DatabaseInAReadOnlyFolder) {
  create_study_with_trial();
  const std::vector<RunResult> expected = read_command_results();
  std::filesystem::permissions(db_path(), std::filesystem::perms::all & ~std::filesystem::perms::owner_exec &
                                              ~std::filesystem::perms::group_exec & ~std::filesystem::perms::others_exec);
  std::filesystem::permissions(folder(), std::filesystem::perms::owner_write | std::filesystem::perms::group_write |
                                             std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
  // SQLite cannot create the -wal and -shm files a writer needs beside a WAL database.
  expect_read_only_access(expected, "its folder '" + folder().string() + "' is not writable by this user");
  std::filesystem::permissions(folder(), std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
}

// An Optuna database that Python made (rollback journal, not WAL) reads the same way, and
// is not switched to WAL by a read.
TEST_F(BadInput, ReadOnlyDatabaseInRollbackJournalMode) {
  create_study_with_trial();
  const std::vector<RunResult> expected = read_command_results();
  {
    SQLite::Database raw(db(), SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA journal_mode = DELETE");
  }
  std::filesystem::permissions(db_path(), std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                              std::filesystem::perms::others_read);
  expect_read_only_access(expected, "the file is not writable by this user");
  SQLite::Database raw(db(), SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "delete");
}

TEST_F(BadInput, InvalidSearchSpaces) {
  create_study_with_trial();
  const std::vector<std::string> before = files_of_database();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"n": {"type": "int", "low": 3, "high": 1}})", "low=3 > high=1"},
      {R"({"lr": {"type": "float", "low": 0, "high": 1, "log": true}})", "low=0"},
      {R"({"lr": {"type": "float", "low": -1, "high": 1, "log": true}})", "low=-1"},
      {R"({"lr": {"type": "float", "low": 0.1, "high": 1, "log": true, "step": 0.1}})", "step=0.1"},
      {R"({"c": {"type": "categorical", "choices": []}})", "no choices"},
      // The study's x is a float: the same name with another kind of distribution.
      {R"({"x": {"type": "int", "low": 0, "high": 1}})", "parameter 'x' was a FloatDistribution"},
      {R"({"x": {"type": "float", "low": 0.5, "high": 1, "log": true}})", "parameter 'x'"},
  };
  for (const auto& [space, message] : cases) {
    expect_refused(hpo(args({{"ask"}, storage(), kStudy, {"--search-space", space}})), message, space);
    EXPECT_EQ(files_of_database(), before) << space;
  }
}

TEST_F(BadInput, TellingAFinishedTrial) {
  create_study_with_trial();
  ASSERT_EQ(hpo(args({{"tell"}, storage(), kStudy, {"--trial-number", "0", "--values", "1"}})).exit_code, 0);
  const std::vector<std::string> before = files_of_database();
  for (const std::vector<std::string>& told : std::vector<std::vector<std::string>>{
           {"--values", "2"}, {"--state", "fail"}, {"--state", "pruned"}}) {
    expect_refused(hpo(args({{"tell"}, storage(), kStudy, {"--trial-number", "0"}, told})), "already COMPLETE",
                   told[1]);
    EXPECT_EQ(files_of_database(), before) << told[1];
  }
}

// Not refusals: Optuna's rules. NaN fails the trial (with the reason), ±inf is a value.
TEST_F(BadInput, NonFiniteObjectiveValues) {
  ASSERT_EQ(hpo(args({{"create-study"}, storage(), kStudy})).exit_code, 0);
  const std::vector<std::string> values = {"nan", "inf", "-inf"};
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(hpo(args({{"ask"}, storage(), kStudy, {"--search-space", kFloatSpace}})).exit_code, 0);
    const RunResult told =
        hpo(args({{"tell"}, storage(), kStudy, {"--trial-number", std::to_string(i), "--values", values[i]}}));
    EXPECT_EQ(told.exit_code, 0) << told.err;
  }
  EXPECT_EQ(reliability::integrity_check(db()), "ok");
  const std::vector<FrozenTrial> trials = reliability::read_trials(db(), "s");
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].state, TrialState::Fail);
  EXPECT_NE(trials[0].system_attrs.at("fail_reason").get<std::string>().find("NaN"), std::string::npos);
  EXPECT_EQ(trials[1].values, std::vector<double>{std::numeric_limits<double>::infinity()});
  EXPECT_EQ(trials[2].values, std::vector<double>{-std::numeric_limits<double>::infinity()});
  const RunResult best = hpo(args({{"best-trial"}, storage(), kStudy, {"-f", "json"}}));
  ASSERT_EQ(best.exit_code, 0) << best.err;
  EXPECT_EQ(parse_output(best.out)["number"], 2);
}

}  // namespace
}  // namespace hpo::cli_test
