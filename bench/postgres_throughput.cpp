// Trials per second of hpo worker processes sharing one study on a PostgreSQL server
// (1, 4 and 16 processes), next to Debian's Python Optuna 3.1 on the same server (1 and 4
// processes, bench/postgres_throughput_optuna.py) and to hpo on a SQLite file (1 and 4
// processes), all in one run. The objective is trivial (three suggests), so this measures
// what the storage costs.
//
//   postgres_throughput [--url postgresql://...] [--trials N] [--optuna-trials N] [--dir DIR]
//
// Without --url it starts a throwaway server (scripts/throwaway_postgres.sh) with the
// server's default durability (fsync, synchronous_commit on; HPO_PG_SETTINGS adds
// settings, e.g. "-c synchronous_commit=off") and stops it at the end.
// With --url every run uses a new study (a unique name) in that database.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "hpo/random_sampler.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/study.hpp"

namespace {

using namespace hpo;

double objective(Trial& t) {
  const double x = t.suggest_float("x", -10, 10);
  const std::int64_t y = t.suggest_int("y", 0, 10);
  const Json c = t.suggest_categorical("c", {"a", "b", "c"});
  return x * x + static_cast<double>(y) + (c == "a" ? 1.0 : 0.0);
}

std::string run_command(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "";
  std::string out;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
  if (pclose(pipe) != 0) return "";
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// A new database gets revision v3.0.0.d, which Optuna 3.1 (the Optuna side of this
// benchmark) accepts.
Study open_study(const std::string& url, const std::string& name) {
  return create_study(open_storage(url, SqliteStorageOptions().schema(OptunaSchema::v3_0_0_d)),
                      StudyOptions().study_name(name).load_if_exists(true).sampler(std::make_shared<RandomSampler>()));
}

// `processes` forked workers run `total` trials between them on one new study; returns
// trials per second from the first fork to the last exit, and checks the study.
double run_workers(const std::string& url, const std::string& name, int processes, int total) {
  open_study(url, name);  // schema and study exist before the clock starts
  const int each = total / processes;
  const auto start = std::chrono::steady_clock::now();
  std::vector<pid_t> children;
  for (int w = 0; w < processes; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      try {
        open_study(url, name).optimize(objective, OptimizeOptions().n_trials(each));
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
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<FrozenTrial> trials = open_study(url, name).trials();
  bool dense = static_cast<int>(trials.size()) == each * processes;
  for (std::size_t i = 0; dense && i < trials.size(); ++i) dense = trials[i].number == static_cast<int>(i);
  if (!ok || !dense) {
    std::cerr << "the run of " << processes << " processes on " << url << " failed or lost trials\n";
    std::exit(1);
  }
  return each * processes / seconds;
}

double optuna_rate(const std::string& url, const std::string& name, int processes, int total) {
  const std::string out = run_command("/usr/bin/python3 " HPO_BENCH_OPTUNA_PG_SCRIPT " '" + url + "' " + name + " " +
                                      std::to_string(processes) + " " + std::to_string(total));
  return out.empty() ? 0 : std::stod(out);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string url;
  int trials = 2000;
  int optuna_trials = 400;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--url" && i + 1 < argc) url = argv[++i];
    else if (arg == "--trials" && i + 1 < argc) trials = std::stoi(argv[++i]);
    else if (arg == "--optuna-trials" && i + 1 < argc) optuna_trials = std::stoi(argv[++i]);
    else if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
    else {
      std::cerr << "usage: postgres_throughput [--url URL] [--trials N] [--optuna-trials N] [--dir DIR]\n";
      return 2;
    }
  }
  const std::string server_folder = (dir / ("hpo-bench-postgres-" + std::to_string(::getpid()))).string();
  const bool own_server = url.empty();
  if (own_server) {
    url = run_command(HPO_THROWAWAY_POSTGRES " start '" + server_folder + "'");
    if (url.empty()) {
      std::cerr << "cannot start a PostgreSQL server with " HPO_THROWAWAY_POSTGRES "\n";
      return 1;
    }
  }
  const std::string tag = std::to_string(::getpid());
  const char* settings = std::getenv("HPO_PG_SETTINGS");
  std::printf("server: %s%s\n", own_server ? "throwaway, defaults" : "--url",
              own_server && settings ? (std::string(" + ") + settings).c_str() : "");

  double hpo_pg[3] = {};
  const int counts[3] = {1, 4, 16};
  for (int i = 0; i < 3; ++i) {
    hpo_pg[i] = run_workers(url, "bench-hpo-" + std::to_string(counts[i]) + "-" + tag, counts[i], trials);
    std::printf("hpo    PostgresStorage, %2d process(es): %8.1f trials/s  (%d trials)\n", counts[i], hpo_pg[i],
                trials / counts[i] * counts[i]);
  }
  double optuna[2] = {};
  for (int i = 0; i < 2; ++i) {
    optuna[i] = optuna_rate(url, "bench-optuna-" + std::to_string(counts[i]) + "-" + tag, counts[i], optuna_trials);
    std::printf("optuna 3.1 RDBStorage,  %2d process(es): %8.1f trials/s  (%d trials)\n", counts[i], optuna[i],
                optuna_trials / counts[i] * counts[i]);
  }
  double sqlite[2] = {};
  for (int i = 0; i < 2; ++i) {
    const std::filesystem::path db = dir / ("hpo-bench-pg-sqlite-" + tag + "-" + std::to_string(counts[i]) + ".db");
    sqlite[i] = run_workers("sqlite:///" + db.string(), "bench", counts[i], trials);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
    std::printf("hpo    SqliteStorage,   %2d process(es): %8.1f trials/s  (%d trials)\n", counts[i], sqlite[i],
                trials / counts[i] * counts[i]);
  }
  if (own_server) run_command(HPO_THROWAWAY_POSTGRES " stop '" + server_folder + "'");
  if (optuna[0] > 0 && optuna[1] > 0) {
    std::printf("ratio hpo/optuna on PostgreSQL: %.1fx (1 process), %.1fx (4 processes)\n", hpo_pg[0] / optuna[0],
                hpo_pg[1] / optuna[1]);
  } else {
    std::printf("optuna 3.1 did not run (python3-optuna and python3-psycopg2 under /usr/bin/python3?)\n");
  }
  std::printf("ratio PostgreSQL/SQLite for hpo: %.2fx (1 process), %.2fx (4 processes)\n", hpo_pg[0] / sqlite[0],
              hpo_pg[1] / sqlite[1]);
  std::printf("scaling on PostgreSQL: 4 processes %.2fx, 16 processes %.2fx one process's rate\n",
              hpo_pg[1] / hpo_pg[0], hpo_pg[2] / hpo_pg[0]);
  return 0;
}
