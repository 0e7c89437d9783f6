// Trials per second of a trivial 3-parameter objective with the random sampler on a
// fresh SQLite file, next to Debian's Python Optuna 3.1 doing the same in the same run
// (bench/storage_throughput_optuna.py under /usr/bin/python3). Also: the same with
// synchronous=FULL (an fsync per commit), and asking for more trials in a study that
// already holds 10,000 (which the finished-trial cache keeps cheap).
//
//   storage_throughput [--trials N] [--optuna-trials N] [--no-optuna] [--dir DIR]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "hpo/random_sampler.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"

namespace {

using namespace hpo;
using Seconds = std::chrono::duration<double>;

double objective(Trial& t) {
  const double x = t.suggest_float("x", -10, 10);
  const std::int64_t y = t.suggest_int("y", 0, 10);
  const Json c = t.suggest_categorical("c", {"a", "b", "c"});
  return x * x + static_cast<double>(y) + (c == "a" ? 1.0 : 0.0);
}

std::string fresh(const std::filesystem::path& dir, const std::string& name) {
  const std::filesystem::path path = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return path.string();
}

// Runs n trials into `study` and returns trials per second.
double run(Study& study, int n) {
  const auto start = std::chrono::steady_clock::now();
  study.optimize(objective, OptimizeOptions().n_trials(n));
  return n / Seconds(std::chrono::steady_clock::now() - start).count();
}

Study new_study(const std::string& path, SqliteStorageOptions options = {}) {
  return create_study(std::make_shared<SqliteStorage>(path, options),
                      StudyOptions().study_name("bench").sampler(std::make_shared<RandomSampler>(0)));
}

double optuna_rate(int n, const std::string& path) {
  const std::string command = std::string("/usr/bin/python3 ") + HPO_BENCH_OPTUNA_SCRIPT + " " +
                              std::to_string(n) + " '" + path + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return 0;
  char line[128] = {};
  const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  const int status = pclose(pipe);
  return got && status == 0 ? std::atof(line) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure shows as soon as it is measured
  int n = 2000;
  int optuna_n = 2000;
  bool with_optuna = true;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--trials" && i + 1 < argc) n = std::stoi(argv[++i]);
    else if (arg == "--optuna-trials" && i + 1 < argc) optuna_n = std::stoi(argv[++i]);
    else if (arg == "--no-optuna") with_optuna = false;
    else if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
    else {
      std::cerr << "usage: storage_throughput [--trials N] [--optuna-trials N] [--no-optuna] [--dir DIR]\n";
      return 2;
    }
  }

  Study normal = new_study(fresh(dir, "hpo_bench_normal.db"));
  const double hpo_rate = run(normal, n);
  std::printf("hpo    SqliteStorage, synchronous=NORMAL (default): %9.1f trials/s  (%d trials)\n",
              hpo_rate, n);

  Study full = new_study(fresh(dir, "hpo_bench_full.db"),
                         SqliteStorageOptions().synchronous(SqliteSynchronous::Full));
  std::printf("hpo    SqliteStorage, synchronous=FULL:             %9.1f trials/s  (%d trials)\n",
              run(full, n / 4), n / 4);

  // 10,000 trials already in the file, read by a new process-like storage instance: the
  // first call loads them once, later trials read only what changed.
  const std::string big = fresh(dir, "hpo_bench_10k.db");
  {
    Study filling = new_study(big);
    run(filling, 10000);
  }
  Study resumed = load_study(std::make_shared<SqliteStorage>(big), "bench",
                             StudyOptions().sampler(std::make_shared<RandomSampler>(1)));
  const auto load_start = std::chrono::steady_clock::now();
  const std::size_t loaded = resumed.trials().size();
  const double load_ms = Seconds(std::chrono::steady_clock::now() - load_start).count() * 1e3;
  const double big_rate = run(resumed, n / 4);
  std::printf("hpo    study already holding %zu trials:          %9.1f trials/s  (first full read %.0f ms)\n",
              loaded, big_rate, load_ms);

  if (with_optuna) {
    const double optuna = optuna_rate(optuna_n, fresh(dir, "hpo_bench_optuna.db"));
    if (optuna <= 0) {
      std::printf("optuna 3.1 RDBStorage (sqlite): failed to run %s under /usr/bin/python3\n",
                  HPO_BENCH_OPTUNA_SCRIPT);
      return 1;
    }
    std::printf("optuna 3.1 RDBStorage (sqlite), same objective:   %9.1f trials/s  (%d trials)\n",
                optuna, optuna_n);
    std::printf("ratio hpo/optuna: %.0fx (goal >= 100x)\n", hpo_rate / optuna);
  }
  std::printf(
      "per trial: 5 write transactions (create trial, 3 params, finish) + 5 short reads;\n"
      "with WAL + synchronous=NORMAL a commit appends to the log without fsync, so commits\n"
      "and statement overhead bound the rate; synchronous=FULL adds one fsync per commit.\n");
  return 0;
}
