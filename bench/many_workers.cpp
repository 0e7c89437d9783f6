// Throughput of several worker processes sharing one SQLite study file, next to one
// process running the same number of trials on its own file, measured in the same run:
//   bench_many_workers [workers=4] [trials_per_worker=100] [folder=/tmp]
// Each trial is trivial (three suggests), so this measures what the storage costs: the
// write lock all workers take to create, update and finish trials. Exits 1 if a worker
// failed or the shared study is not exactly workers × trials densely numbered trials.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "hpo/random_sampler.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"

namespace {

double objective(hpo::Trial& trial) {
  const double x = trial.suggest_float("x", -10, 10);
  const double lr = trial.suggest_float("lr", 1e-5, 1e-1, hpo::FloatOptions().log(true));
  const std::int64_t n = trial.suggest_int("n", 1, 8);
  return x * x + lr + static_cast<double>(n);
}

hpo::Study open_study(const std::string& db) {
  return hpo::create_study(std::make_shared<hpo::SqliteStorage>(db),
                           hpo::StudyOptions().study_name("bench").load_if_exists(true).sampler(
                               std::make_shared<hpo::RandomSampler>()));
}

// Runs `trials` trials in each of `workers` forked processes on `db`; returns the seconds
// from the first fork to the last exit, or a negative number if a worker failed.
double run_workers(const std::string& db, int workers, int trials) {
  open_study(db);  // the schema and the study exist before the clock starts
  const auto start = std::chrono::steady_clock::now();
  std::vector<pid_t> children;
  for (int w = 0; w < workers; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      try {
        open_study(db).optimize(objective, hpo::OptimizeOptions().n_trials(trials));
      } catch (const std::exception& e) {
        std::cerr << "worker " << w << ": " << e.what() << "\n";
        ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  bool ok = true;
  for (pid_t pid : children) {
    int status = 0;
    ok = ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 && ok;
  }
  const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
  return ok ? seconds.count() : -1;
}

bool study_is_complete(const std::string& db, int expected) {
  const std::vector<hpo::FrozenTrial> trials = open_study(db).trials();
  if (static_cast<int>(trials.size()) != expected) return false;
  for (int i = 0; i < expected; ++i) {
    if (trials[i].number != i || trials[i].state != hpo::TrialState::Complete) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const int workers = argc > 1 ? std::stoi(argv[1]) : 4;
  const int trials = argc > 2 ? std::stoi(argv[2]) : 100;
  const std::filesystem::path folder =
      std::filesystem::path(argc > 3 ? argv[3] : std::filesystem::temp_directory_path().string()) /
      ("hpo-bench-many-workers-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  const std::string shared = (folder / "shared.db").string();
  const std::string alone = (folder / "alone.db").string();

  const double shared_seconds = run_workers(shared, workers, trials);
  const double alone_seconds = run_workers(alone, 1, workers * trials);
  const int total = workers * trials;
  const bool ok = shared_seconds > 0 && alone_seconds > 0 && study_is_complete(shared, total) &&
                  study_is_complete(alone, total);
  std::filesystem::remove_all(folder);
  if (!ok) {
    std::cerr << "bench_many_workers: a worker failed or trials are missing\n";
    return 1;
  }
  std::cout << std::fixed << std::setprecision(0) << workers << " processes x " << trials
            << " trials on one SQLite file: " << total / shared_seconds << " trials/s\n"
            << "1 process x " << total << " trials:                " << total / alone_seconds
            << " trials/s\n"
            << std::setprecision(2) << "ratio (shared / alone): " << alone_seconds / shared_seconds << "\n";
  return 0;
}
