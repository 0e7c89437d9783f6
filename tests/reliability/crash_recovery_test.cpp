// Workers killed with SIGKILL while they run trials: at random moments (a timer) and
// inside SQLite's writes (kill_at_write_vfs). After every batch of kills the database must
// pass SQLite's integrity and foreign-key checks, keep its trial numbers dense, and keep
// every trial that had finished exactly as it was; after the grace period a new worker
// must fail each killed trial and retry it with the same params.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "checked_objective.hpp"
#include "child_process.hpp"
#include "database_checks.hpp"

namespace hpo::reliability {
namespace {

constexpr int kSteps = 8;
constexpr int kHeartbeatMs = 50;
// While the kills go on, nobody fails stale trials: the killed trials pile up as RUNNING
// and the recovery below is checked on all of them at once, by a worker nobody kills.
constexpr int kNoRecoveryGraceMs = 600000;
constexpr int kRecoveryGraceMs = 2 * kHeartbeatMs;

class CrashRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    folder_ = std::filesystem::path(::testing::TempDir()) / ("hpo_reliability_" + std::string(info->name()));
    std::filesystem::remove_all(folder_);
    std::filesystem::create_directories(folder_);
    ASSERT_EQ(worker({"0"}).wait(), 0) << log();  // creates the study
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(folder_);
  }

  // A worker on the test's database; `extra` starts with n_trials.
  ChildProcess worker(std::vector<std::string> extra) const {
    std::vector<std::string> argv = {HPO_RELIABILITY_WORKER, db(), "crash"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"--steps", std::to_string(kSteps)});
    return ChildProcess(argv, (folder_ / "workers.log").string());
  }
  std::vector<std::string> endless_worker_args() const {
    return {"1000000", "--heartbeat-ms", std::to_string(kHeartbeatMs), "--grace-ms",
            std::to_string(kNoRecoveryGraceMs)};
  }
  std::string db() const { return (folder_ / "study.db").string(); }
  std::string log() const { return file_bytes((folder_ / "workers.log").string()); }

  // The checks that must hold after any crash. Every finished trial seen by an earlier
  // call must still be there unchanged.
  void expect_consistent(const std::string& when) {
    SCOPED_TRACE(when);
    ASSERT_EQ(integrity_check(db()), "ok");
    EXPECT_EQ(foreign_key_violations(db()), std::vector<std::string>{});
    const std::vector<FrozenTrial> trials = read_trials(db(), "crash");
    EXPECT_EQ(check_numbers_dense(trials), "");
    for (const FrozenTrial& trial : trials) {
      if (trial.state == TrialState::Complete) {
        EXPECT_EQ(check_complete_trial(trial, kSteps), "");
      }
      if (is_finished(trial.state)) finished_.emplace(trial.number, trial_record(trial));
    }
    for (const auto& [number, record] : finished_) {
      ASSERT_LT(static_cast<std::size_t>(number), trials.size()) << "finished trial " << number << " is gone";
      EXPECT_EQ(trial_record(trials[number]), record) << "finished trial " << number << " changed";
    }
    n_trials_ = trials.size();
  }

  // After the grace period a worker that nobody kills fails every killed trial and reruns
  // it; the kills must have cost no trial but those.
  void expect_recovered() {
    const std::vector<FrozenTrial> before = read_trials(db(), "crash");
    int orphaned = 0;  // killed trials: RUNNING, or retries still WAITING
    for (const FrozenTrial& t : before) orphaned += t.state == TrialState::Running || t.state == TrialState::Waiting;
    // A trial's first heartbeat comes with the transaction that creates or claims it, so
    // even a worker killed inside ask() leaves a trial that goes stale.
    EXPECT_EQ(running_trials_without_heartbeat(db()), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * kRecoveryGraceMs));
    ChildProcess recovery = worker({std::to_string(orphaned), "--heartbeat-ms", std::to_string(kHeartbeatMs),
                                    "--grace-ms", std::to_string(kRecoveryGraceMs)});
    ASSERT_EQ(recovery.wait(), 0) << log();
    expect_consistent("after recovery");

    const std::vector<FrozenTrial> after = read_trials(db(), "crash");
    std::map<int, const FrozenTrial*> retry_of;  // failed trial number → its retry
    for (const FrozenTrial& t : after) {
      EXPECT_NE(t.state, TrialState::Waiting) << "trial " << t.number << " was never retried";
      auto history = t.system_attrs.find("retry_history");
      if (history != t.system_attrs.end()) {
        EXPECT_TRUE(retry_of.emplace(history->second.back().get<int>(), &t).second)
            << "trial " << history->second.back() << " was retried twice";
      }
      EXPECT_NE(t.state, TrialState::Running) << "trial " << t.number << " was never failed";
    }
    int failed = 0;
    for (const FrozenTrial& t : after) {
      if (t.state != TrialState::Fail) continue;
      ++failed;
      EXPECT_EQ(t.system_attrs.count("fail_reason"), 0u) << "only heartbeats fail trials here";
      auto retry = retry_of.find(t.number);
      ASSERT_NE(retry, retry_of.end()) << "failed trial " << t.number << " has no retry";
      EXPECT_EQ(retry->second->state, TrialState::Complete) << "retry of " << t.number;
      for (const auto& [name, value] : t.params) {
        EXPECT_EQ(retry->second->params.at(name), value) << "retry of " << t.number << ", param " << name;
      }
    }
    std::cout << "[ recovery ] " << after.size() << " trials, " << failed << " killed and retried\n";
  }

  std::filesystem::path folder_;
  std::map<int, Json> finished_;
  std::size_t n_trials_ = 0;
};

TEST_F(CrashRecovery, WorkersKilledAtRandomMoments) {
  constexpr int kWorkers = 3;
  constexpr int kKills = 24;
  std::mt19937 random(8);
  std::uniform_int_distribution<int> delay_ms(10, 120);
  std::uniform_int_distribution<int> victim(0, kWorkers - 1);
  std::vector<ChildProcess> workers;
  for (int w = 0; w < kWorkers; ++w) workers.push_back(worker(endless_worker_args()));
  for (int kill = 1; kill <= kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ChildProcess& target = workers[victim(random)];
    target.kill();
    ASSERT_EQ(target.wait(), 128 + SIGKILL) << "the worker ended before the kill: " << log();
    target = worker(endless_worker_args());
    if (kill % 6 == 0) expect_consistent("after kill " + std::to_string(kill));
  }
  for (ChildProcess& w : workers) {
    w.kill();
    ASSERT_EQ(w.wait(), 128 + SIGKILL) << log();
  }
  expect_consistent("after the last kills");
  std::cout << "[ kills    ] " << kKills + kWorkers << " SIGKILLs of " << kWorkers << " workers, "
            << n_trials_ << " trials\n";
  expect_recovered();
}

TEST_F(CrashRecovery, WorkersKilledInsideSqliteWrites) {
  // Each victim dies in the middle of its K-th write(), K spread over the first trials;
  // a steady worker keeps writing to the same file all along.
  constexpr int kKills = 30;
  std::mt19937 random(9);
  std::uniform_int_distribution<long> write_number(1, 400);
  ChildProcess steady = worker(endless_worker_args());
  for (int kill = 1; kill <= kKills; ++kill) {
    std::vector<std::string> args = endless_worker_args();
    args.insert(args.end(), {"--kill-at-write", std::to_string(write_number(random))});
    ASSERT_EQ(worker(args).wait(), 128 + SIGKILL) << "the victim did not die in a write: " << log();
    if (kill % 10 == 0) expect_consistent("after kill " + std::to_string(kill));
  }
  steady.kill();
  ASSERT_EQ(steady.wait(), 128 + SIGKILL) << log();
  expect_consistent("after the last kill");
  std::cout << "[ kills    ] " << kKills << " SIGKILLs inside a write plus 1 at random, " << n_trials_
            << " trials\n";
  expect_recovered();
}

}  // namespace
}  // namespace hpo::reliability
