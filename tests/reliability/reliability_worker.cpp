// A study worker for the crash and many-worker tests (core + SQLite storage, no LibTorch):
//   reliability_worker <db> <study> <n_trials> [--steps N] [--heartbeat-ms N]
//                      [--grace-ms N] [--kill-at-write K]
// runs n_trials of the checked objective (N intermediate values each) in the study,
// creating it if needed. With --heartbeat-ms the storage keeps heartbeats and retries the
// trials of dead workers (RetryFailedTrialCallback) once their heartbeat is older than
// --grace-ms (default 2 × heartbeat). With --kill-at-write the process
// SIGKILLs itself in the middle of its K-th file write. Exit codes: 0 done, 1 an error
// surfaced (printed on stderr), 2 bad usage.
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "checked_objective.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"
#include "kill_at_write_vfs.hpp"

namespace {

struct Arguments {
  std::string db;
  std::string study;
  int n_trials = 0;
  int steps = 0;
  int heartbeat_ms = 0;
  int grace_ms = 0;
  long kill_at_write = 0;
};

Arguments parse(const std::vector<std::string>& words) {
  if (words.size() < 3) throw std::invalid_argument("expected <db> <study> <n_trials>");
  Arguments a{words[0], words[1], std::stoi(words[2])};
  for (std::size_t i = 3; i + 1 < words.size(); i += 2) {
    if (words[i] == "--steps") {
      a.steps = std::stoi(words[i + 1]);
    } else if (words[i] == "--heartbeat-ms") {
      a.heartbeat_ms = std::stoi(words[i + 1]);
    } else if (words[i] == "--grace-ms") {
      a.grace_ms = std::stoi(words[i + 1]);
    } else if (words[i] == "--kill-at-write") {
      a.kill_at_write = std::stol(words[i + 1]);
    } else {
      throw std::invalid_argument("unknown option " + words[i]);
    }
  }
  if (words.size() % 2 == 0) throw std::invalid_argument("option " + words.back() + " has no value");
  return a;
}

void run(const Arguments& a) {
  hpo::SqliteStorageOptions options;
  if (a.heartbeat_ms > 0) {
    options.heartbeat_interval(std::chrono::milliseconds(a.heartbeat_ms))
        .failed_trial_callback(hpo::RetryFailedTrialCallback());
  }
  if (a.grace_ms > 0) options.grace_period(std::chrono::milliseconds(a.grace_ms));
  auto storage = std::make_shared<hpo::SqliteStorage>(a.db, options);
  hpo::Study study = hpo::create_study(
      storage, hpo::StudyOptions().study_name(a.study).load_if_exists(true).sampler(
                   std::make_shared<hpo::RandomSampler>()));
  const int steps = a.steps;
  study.optimize([steps](hpo::Trial& trial) { return hpo::reliability::checked_objective(trial, steps); },
                 hpo::OptimizeOptions().n_trials(a.n_trials));
}

}  // namespace

int main(int argc, char** argv) {
  Arguments arguments;
  try {
    arguments = parse(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "reliability_worker: " << e.what() << "\n";
    return 2;
  }
  try {
    if (arguments.kill_at_write > 0) hpo::reliability::install_kill_at_write_vfs(arguments.kill_at_write);
    run(arguments);
  } catch (const std::exception& e) {
    std::cerr << "reliability_worker: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
