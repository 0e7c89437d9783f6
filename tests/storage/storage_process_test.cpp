// Several processes on one file: concurrent workers, resuming, and a worker that dies
// mid-trial. The workers are storage_tool processes (HPO_STORAGE_TOOL).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "hpo/random_sampler.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"
#include "search_space.hpp"
#include "storage_fixture.hpp"

extern char** environ;

namespace hpo {
namespace {

using std::chrono::milliseconds;

// Starts storage_tool with `args`, its stdout going to `out` when given.
pid_t start_tool(const std::vector<std::string>& args, const std::string& out = "") {
  std::vector<std::string> argv_storage = {HPO_STORAGE_TOOL};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!out.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot start " << argv[0];
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<FrozenTrial> trials_of(const std::string& db, const std::string& study) {
  auto storage = std::make_shared<SqliteStorage>(db);
  return storage->get_all_trials(storage->get_study_id_from_name(study));
}

TEST(StorageProcesses, FourWorkersShareOneNewFile) {
  test::ScratchDir dir;
  const std::string db = dir.file("shared.db");  // does not exist yet: all four create it
  std::vector<pid_t> workers;
  for (int w = 0; w < 4; ++w) workers.push_back(start_tool({"optimize", db, "shared", "100"}));
  for (pid_t pid : workers) EXPECT_EQ(wait_exit_code(pid), 0) << "a worker surfaced an error";

  const std::vector<FrozenTrial> trials = trials_of(db, "shared");
  ASSERT_EQ(trials.size(), 400u);
  std::set<int> numbers;
  for (const FrozenTrial& t : trials) {
    numbers.insert(t.number);
    EXPECT_EQ(t.state, TrialState::Complete) << "trial " << t.number;
    EXPECT_EQ(t.params.size(), 5u) << "trial " << t.number;
  }
  EXPECT_EQ(numbers.size(), 400u) << "numbers are unique";
  EXPECT_EQ(*numbers.begin(), 0);
  EXPECT_EQ(*numbers.rbegin(), 399);
}

TEST(StorageProcesses, ResumedStudyContinuesAtTrialN) {
  test::ScratchDir dir;
  const std::string db = dir.file("resume.db");
  ASSERT_EQ(wait_exit_code(start_tool({"optimize", db, "resume", "5"})), 0);
  ASSERT_EQ(trials_of(db, "resume").size(), 5u);
  ASSERT_EQ(wait_exit_code(start_tool({"optimize", db, "resume", "3"})), 0);
  const std::vector<FrozenTrial> trials = trials_of(db, "resume");
  ASSERT_EQ(trials.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(trials[i].number, i);
    EXPECT_EQ(trials[i].state, TrialState::Complete);
  }
  EXPECT_GE(*trials[5].datetime_start, *trials[4].datetime_complete) << "run by the second process";
}

TEST(StorageProcesses, DeadWorkersTrialFailsAndIsRetriedWithTheSameParams) {
  test::ScratchDir dir;
  const std::string db = dir.file("heartbeat.db");
  const std::string printed = dir.file("crashed_params.json");
  ASSERT_EQ(wait_exit_code(start_tool({"crash", db, "hb", "100"}, printed)), 0);
  std::ifstream in(printed);
  std::string line;
  std::getline(in, line);
  const Json crashed_params = parse_json(line);

  auto storage = std::make_shared<SqliteStorage>(
      db, SqliteStorageOptions()
              .heartbeat_interval(milliseconds(100))  // grace period: 2 × 100 ms
              .failed_trial_callback(RetryFailedTrialCallback()));
  Study study = load_study(storage, "hb", StudyOptions().sampler(std::make_shared<RandomSampler>(7)));
  ASSERT_EQ(study.trials()[0].state, TrialState::Running) << "the dead worker's trial";
  study.optimize([](Trial& t) { return test::suggest_all(t); }, OptimizeOptions().n_trials(1));
  EXPECT_EQ(study.trials()[0].state, TrialState::Running) << "still within the grace period";
  EXPECT_EQ(study.trials().size(), 2u);

  std::this_thread::sleep_for(milliseconds(250));
  study.optimize([](Trial& t) { return test::suggest_all(t); }, OptimizeOptions().n_trials(1));
  const std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].state, TrialState::Fail);
  const FrozenTrial& retry = trials[2];
  EXPECT_EQ(retry.state, TrialState::Complete);
  EXPECT_EQ(Json(retry.params), crashed_params) << "the retry ran with the dead trial's params";
  EXPECT_EQ(Json(trials[0].params), crashed_params);
  EXPECT_EQ(retry.system_attrs.at("failed_trial"), 0);
  EXPECT_EQ(retry.system_attrs.at("retry_history"), Json::array({0}));
}

}  // namespace
}  // namespace hpo
