// Several worker processes on one SQLite file, all with heartbeats on, so that every
// trial start also runs the stale-trial check and every trial writes heartbeats while the
// others write trials: no trial may be lost, duplicated, torn or wrongly failed, and no
// worker may surface an error (such as "database is locked").
//
// In a LibTorch build two `hpo optimize --sampler hybrid` processes share the file at the
// same time with a study of their own: they write a hypergradient record per trial and
// read back the whole study on every ask, so they add long read transactions and bursts
// of writes to the trivial workers' short ones.
#include <gtest/gtest.h>

#include <filesystem>

#include "checked_objective.hpp"
#include "child_process.hpp"
#include "database_checks.hpp"

namespace hpo::reliability {
namespace {

std::string log_of(const std::filesystem::path& folder, const std::string& name) {
  return (folder / (name + ".log")).string();
}

#ifdef HPO_BINARY  // defined in LibTorch builds only, where `hpo optimize` exists
constexpr int kHybridWorkers = 2;
constexpr int kHybridTrials = 3;
constexpr int kHyperSteps = 4;

std::vector<std::string> hybrid_worker_argv(const std::string& db) {
  return {HPO_BINARY, "optimize", "--task", "logistic", "--data", HPO_DIGITS_CSV, "--target", "target",
          "--sampler", "hybrid", "--method", "t1t2", "--n-trials", std::to_string(kHybridTrials), "--epochs", "2",
          "--hyper-steps", std::to_string(kHyperSteps), "--study-name", "hybrid-workers",
          "--storage", "sqlite:///" + db, "-q", "--format", "json"};
}

// Each worker's whole output must be its JSON summary: any warning or error it printed
// (stdout and stderr share the log) makes the log unparseable.
void expect_clean_hybrid_worker(const std::string& log) {
  const std::string output = file_bytes(log);
  try {
    EXPECT_EQ(parse_json(output).at("study_name"), "hybrid-workers") << output;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "hybrid worker printed more than its summary (" << e.what() << "):\n" << output;
  }
}

// COMPLETE trials carry the hypergradient record of all their hyper-steps (T1-T2 steps
// at every check, stationary or not: two epochs leave the model far from w*); a trial that
// did not complete must say why (the median pruner may stop the later ones).
std::string check_hybrid_trial(const FrozenTrial& trial) {
  const std::string name = "hybrid trial " + std::to_string(trial.number);
  switch (trial.state) {
    case TrialState::Complete: {
      const auto record = trial.system_attrs.find("hypergrad");
      if (record == trial.system_attrs.end()) return name + " has no hypergrad system attribute";
      const Json steps = record->second.value("hyper_steps", Json());
      if (steps != kHyperSteps) {
        return name + ": its hypergrad record has hyper_steps " + dump_json(steps) + ", not " +
               std::to_string(kHyperSteps);
      }
      return "";
    }
    case TrialState::Fail:
      return trial.system_attrs.count("fail_reason") ? "" : name + " FAIL without a fail_reason";
    case TrialState::Pruned:
      return trial.intermediate_values.empty() ? name + " PRUNED without a reported step" : "";
    default:
      return name + " was left " + to_string(trial.state);
  }
}
#endif

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
                         log_of(folder, "worker" + std::to_string(w)));
  }
#ifdef HPO_BINARY
  std::vector<ChildProcess> hybrid_workers;
  for (int w = 0; w < kHybridWorkers; ++w) {
    hybrid_workers.emplace_back(hybrid_worker_argv(db), log_of(folder, "hybrid" + std::to_string(w)));
  }
#endif
  for (int w = 0; w < kWorkers; ++w) {
    const std::string log = log_of(folder, "worker" + std::to_string(w));
    EXPECT_EQ(workers[w].wait(), 0) << file_bytes(log);
    EXPECT_EQ(file_bytes(log), "") << "worker " << w << " printed something";
  }
#ifdef HPO_BINARY
  for (int w = 0; w < kHybridWorkers; ++w) {
    const std::string log = log_of(folder, "hybrid" + std::to_string(w));
    EXPECT_EQ(hybrid_workers[w].wait(), 0) << file_bytes(log);
    expect_clean_hybrid_worker(log);
  }
#endif

  EXPECT_EQ(integrity_check(db), "ok");
  const std::vector<FrozenTrial> trials = read_trials(db, "shared");
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(kWorkers * kTrials));
  EXPECT_EQ(check_numbers_dense(trials), "");
  for (const FrozenTrial& trial : trials) EXPECT_EQ(check_complete_trial(trial, kSteps), "");
#ifdef HPO_BINARY
  const std::vector<FrozenTrial> hybrid = read_trials(db, "hybrid-workers");
  ASSERT_EQ(hybrid.size(), static_cast<std::size_t>(kHybridWorkers * kHybridTrials));
  EXPECT_EQ(check_numbers_dense(hybrid), "");
  for (const FrozenTrial& trial : hybrid) EXPECT_EQ(check_hybrid_trial(trial), "");
#endif
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace hpo::reliability
