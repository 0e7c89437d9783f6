// Several worker processes on one SQLite file, all with heartbeats on, so that every
// trial start also runs the stale-trial check and every trial writes heartbeats while the
// others write trials: no trial may be lost, duplicated, torn or wrongly failed, and no
// worker may surface an error (such as "database is locked").
#include <gtest/gtest.h>

#include <filesystem>

#include "checked_objective.hpp"
#include "child_process.hpp"
#include "database_checks.hpp"

namespace hpo::reliability {
namespace {

TEST(ManyWorkers, FourProcessesTimesHundredTrialsWithHeartbeats) {
  constexpr int kWorkers = 4;
  constexpr int kTrials = 100;
  constexpr int kSteps = 5;
  const std::filesystem::path folder = std::filesystem::path(::testing::TempDir()) / "hpo_reliability_many_workers";
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  const std::string db = (folder / "shared.db").string();  // created by whichever worker is first

  std::vector<ChildProcess> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back(std::vector<std::string>{HPO_RELIABILITY_WORKER, db, "shared", std::to_string(kTrials),
                                                  "--steps", std::to_string(kSteps), "--heartbeat-ms", "1000"},
                         (folder / ("worker" + std::to_string(w) + ".log")).string());
  }
  for (int w = 0; w < kWorkers; ++w) {
    const std::string log = (folder / ("worker" + std::to_string(w) + ".log")).string();
    EXPECT_EQ(workers[w].wait(), 0) << file_bytes(log);
    EXPECT_EQ(file_bytes(log), "") << "worker " << w << " printed something";
  }

  EXPECT_EQ(integrity_check(db), "ok");
  const std::vector<FrozenTrial> trials = read_trials(db, "shared");
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(kWorkers * kTrials));
  EXPECT_EQ(check_numbers_dense(trials), "");
  for (const FrozenTrial& trial : trials) EXPECT_EQ(check_complete_trial(trial, kSteps), "");
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace hpo::reliability
