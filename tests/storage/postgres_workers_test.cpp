// Many worker processes (storage_tool, HPO_STORAGE_TOOL) on one study in the throwaway
// PostgreSQL server: trial numbers stay dense and unique, and a server restart in the
// middle of the run loses nothing.
#include <gtest/gtest.h>

#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <set>
#include <thread>

#include "hpo/storage/postgres_storage.hpp"
#include "postgres_server.hpp"

extern char** environ;

namespace hpo {
namespace {

using std::chrono::milliseconds;

constexpr int kWorkers = 16;
constexpr int kTrialsPerWorker = 250;
constexpr int kTrials = kWorkers * kTrialsPerWorker;
// Longer than a restart of the server takes on a loaded machine, so that no worker fails
// another's live trial while both wait for the server.
constexpr int kHeartbeatMs = 2000;

pid_t start_worker(const std::string& url) {
  std::vector<std::string> args = {HPO_STORAGE_TOOL, "optimize", url, "shared", std::to_string(kTrialsPerWorker),
                                   std::to_string(kHeartbeatMs)};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int count_trials(test::PostgresServer& server, const std::string& database) {
  try {
    return std::stoi(server.psql(database, "SELECT count(*) FROM trials"));
  } catch (const std::exception&) {
    return 0;  // the schema may not exist yet
  }
}

// Every trial COMPLETE with its five params; numbers exactly 0..kTrials-1.
void expect_all_trials_done(const std::string& url) {
  PostgresStorage storage(url);
  const std::vector<FrozenTrial> trials = storage.get_all_trials(storage.get_study_id_from_name("shared"));
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(kTrials)) << "nothing lost, nothing doubled";
  std::set<int> numbers;
  for (const FrozenTrial& t : trials) {
    numbers.insert(t.number);
    EXPECT_EQ(t.state, TrialState::Complete) << "trial " << t.number;
    EXPECT_EQ(t.params.size(), 5u) << "trial " << t.number;
    EXPECT_EQ(t.values.size(), 1u) << "trial " << t.number;
  }
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kTrials)) << "numbers are unique";
  EXPECT_EQ(*numbers.begin(), 0);
  EXPECT_EQ(*numbers.rbegin(), kTrials - 1);
}

void run_workers(const std::string& url, const std::function<void()>& meanwhile) {
  std::vector<pid_t> workers;
  for (int w = 0; w < kWorkers; ++w) workers.push_back(start_worker(url));
  meanwhile();
  for (pid_t pid : workers) EXPECT_EQ(wait_exit_code(pid), 0) << "a worker surfaced an error";
}

TEST(PostgresWorkers, SixteenProcessesShareOneStudy) {
  test::PostgresServer& server = test::PostgresServer::instance();
  const std::string url = server.new_database();  // no schema yet: all sixteen create it
  run_workers(url, [] {});
  expect_all_trials_done(url);
}

TEST(PostgresWorkers, ServerRestartMidRunLosesNothing) {
  test::PostgresServer& server = test::PostgresServer::instance();
  const std::string url = server.new_database();
  const std::string database = url.substr(url.rfind('/') + 1);
  int at_restart = 0;
  run_workers(url, [&] {
    // Restart once a quarter of the trials exist: every worker is mid-run then.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while ((at_restart = count_trials(server, database)) < kTrials / 4 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    server.restart();
  });
  EXPECT_GE(at_restart, kTrials / 4);
  EXPECT_LT(at_restart, kTrials) << "the restart came after the run";
  expect_all_trials_done(url);

  // After the grace period, no worker's trial is stale (none is RUNNING at all).
  std::this_thread::sleep_for(milliseconds(2 * kHeartbeatMs + 200));
  PostgresStorage storage(url, PostgresStorageOptions().heartbeat_interval(milliseconds(kHeartbeatMs)));
  const std::int64_t study = storage.get_study_id_from_name("shared");
  EXPECT_TRUE(storage.get_stale_trial_ids(study).empty());
  EXPECT_EQ(storage.get_n_trials(study, std::vector<TrialState>{TrialState::Running}), 0);
}

}  // namespace
}  // namespace hpo
