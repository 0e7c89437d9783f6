// `hpo optimize` (built with LibTorch) under faults that tests/cli does not cover: a run
// killed with SIGKILL (no Ctrl-C handler runs) and continued by rerunning the command,
// which fails the trial the kill interrupted and retries its parameters, and data that
// loads but cannot be trained on.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "database_checks.hpp"
#include "hpo/error.hpp"
#include "hpo_process.hpp"

namespace hpo::cli_test {
namespace {

using reliability::file_bytes;

// Heartbeats every 0.2 s, so that a killed trial is stale after 0.4 s instead of a minute.
constexpr double kHeartbeatSeconds = 0.2;

class CliOptimizeFaults : public HpoTest {
 protected:
  std::vector<std::string> optimize(const std::string& data, int n_trials) const {
    return args({{"optimize", "--task", "ridge", "--data", data, "--sampler", "random", "--n-trials",
                  std::to_string(n_trials), "--epochs", "1", "--study-name", "k", "-q", "--heartbeat-interval",
                  std::to_string(kHeartbeatSeconds)},
                 storage()});
  }
  std::vector<FrozenTrial> trials() const { return reliability::read_trials(db_path().string(), "k"); }
};

TEST_F(CliOptimizeFaults, KilledRunIsContinuedByARerunThatRetriesTheKilledTrial) {
  const int pid = start(optimize(digits_csv().string(), 1000));
  // Kill it once a few trials have finished, while it is inside the next one (a trial of
  // one epoch is short, so wait until one is seen running, not merely for the count).
  std::size_t trials_before = 0;
  bool inside_a_trial = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       (trials_before < 3 || !inside_a_trial) && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!std::filesystem::exists(db_path())) continue;  // reading would create it
    try {
      const std::vector<FrozenTrial> seen = trials();
      trials_before = seen.size();
      inside_a_trial = !seen.empty() && seen.back().state == TrialState::Running;
    } catch (const NotFoundError&) {  // the study is not there yet
    }
  }
  ::kill(pid, SIGKILL);
  ASSERT_EQ(wait(pid).exit_code, 128 + SIGKILL);

  const std::string db = db_path().string();
  ASSERT_EQ(reliability::integrity_check(db), "ok");
  EXPECT_EQ(reliability::foreign_key_violations(db), std::vector<std::string>{});
  const std::vector<FrozenTrial> killed = trials();
  ASSERT_GE(killed.size(), 3u);
  std::map<int, Json> finished;
  std::vector<int> interrupted;
  for (const FrozenTrial& t : killed) {
    if (is_finished(t.state)) {
      finished.emplace(t.number, reliability::trial_record(t));
    } else {
      interrupted.push_back(t.number);
    }
  }
  // One process runs one trial at a time, and the kill came while it ran one.
  ASSERT_EQ(interrupted.size(), 1u);
  const FrozenTrial& victim = killed[static_cast<std::size_t>(interrupted[0])];
  ASSERT_EQ(victim.state, TrialState::Running);

  // Past the grace period (two heartbeat intervals) the rerun fails the killed trial and
  // enqueues its parameters as a WAITING trial, which is the first one it then runs.
  std::this_thread::sleep_for(std::chrono::duration<double>(3 * kHeartbeatSeconds));
  const RunResult rerun = hpo(optimize(digits_csv().string(), 2));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(rerun.err, "");
  const std::vector<FrozenTrial> after = trials();
  ASSERT_EQ(after.size(), killed.size() + 2);
  EXPECT_EQ(reliability::check_numbers_dense(after), "");
  for (const auto& [number, record] : finished) {
    EXPECT_EQ(reliability::trial_record(after[number]), record) << "finished trial " << number << " changed";
  }
  for (std::size_t i = killed.size(); i < after.size(); ++i) {  // the pruner may stop a trial early
    EXPECT_TRUE(after[i].state == TrialState::Complete || after[i].state == TrialState::Pruned) << "trial " << i;
  }

  EXPECT_EQ(after[victim.number].state, TrialState::Fail);
  const FrozenTrial& retry = after[killed.size()];
  ASSERT_EQ(retry.system_attrs.count("failed_trial"), 1u) << "the rerun's first trial is not a retry";
  EXPECT_EQ(retry.system_attrs.at("failed_trial"), victim.number);
  EXPECT_EQ(retry.system_attrs.at("retry_history"), Json::array({victim.number}));
  // The retry keeps every parameter the killed trial had drawn before the kill, and has
  // the whole set a trial of the task draws (any the kill cut short are drawn anew).
  for (const auto& [name, value] : victim.params) {
    ASSERT_TRUE(retry.params.count(name)) << name;
    EXPECT_EQ(retry.params.at(name), value) << name;
  }
  EXPECT_EQ(retry.params.size(), after[0].params.size());
  // The second trial of the rerun is a fresh one, not a second retry.
  EXPECT_EQ(after.back().system_attrs.count("failed_trial"), 0u);
}

TEST_F(CliOptimizeFaults, DataThatLoadsButCannotBeTrainedOn) {
  ASSERT_EQ(hpo(optimize(digits_csv().string(), 1)).exit_code, 0);
  const std::string before = file_bytes(db_path().string());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"x,y\n1,2\n", "cannot split 1 rows"},
      {"x,z,y\n1,2,3\n4,,6\n7,8,9\n", "line 3: column 'z': '' is not a finite number"},
      {"x,z,y\n1,2,3\n4,5\n7,8,9\n", "line 3: 2 fields, expected 3"},
  };
  for (const auto& [csv, message] : cases) {
    write_text("data.csv", csv);
    const RunResult result = hpo(optimize("data.csv", 1));
    EXPECT_EQ(result.exit_code, 2) << csv << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
    EXPECT_EQ(file_bytes(db_path().string()), before) << csv;
  }
}

}  // namespace
}  // namespace hpo::cli_test
