// hpo's TPESampler next to Debian's Optuna 3.1 TPESampler, in one run.
//
// Quality: on each test function, `seeds` seeded studies of `trials` trials per sampler;
// the median and quartiles of the best value after a quarter, half and all of the trials,
// and a two-sided Mann-Whitney U test on the final best values. Two references: Optuna
// 3.1 as Debian ships it, and the same with the upstream fix of its truncated-normal log
// density (the missing −log σ; fixed in Optuna 3.5), i.e. the kernels of Optuna 4.x; and
// hpo's random search as the baseline. Both samplers score their trials with the same C++
// functions (the Optuna side asks this program, run as --serve).
// Speed: seconds to sample one trial (every parameter of the mixed space) with 100, 1,000
// and 5,000 finished trials, hpo (in-memory and SQLite storage) vs Optuna (in-memory).
//
//   tpe_vs_optuna [--seeds 20] [--trials 100] [--speed 100,1000,5000] [--no-speed]
//                 [--functions sphere-2d,branin,...]
//                 [--check]   (exit 1 if hpo is significantly worse than the fixed Optuna
//                              TPE, the same algorithm, on some function)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "hpo/random_sampler.hpp"
#include "hpo/samplers/tpe_sampler.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"
#include "closed_form_ridge.hpp"

namespace {

using hpo::Json;
using hpo::ParamMap;
using hpo::SearchSpace;

struct TestFunction {
  std::string name;
  SearchSpace space;
  std::function<double(const ParamMap&)> value;
};

double num(const ParamMap& p, const std::string& name) { return p.at(name).get<double>(); }

SearchSpace box(const std::string& prefix, int n, double low, double high) {
  SearchSpace space;
  for (int i = 0; i < n; ++i) space.emplace(prefix + std::to_string(i), hpo::FloatDistribution(low, high));
  return space;
}

// bench/hybrid_search's ridge problems with the weights solved exactly: a global and one
// per-feature L2 penalty, log floats on `hpo optimize`'s range [1e-5, 1].
TestFunction ridge(const std::string& name, std::size_t rows, std::size_t features,
                   const std::vector<double>& relevant_weights, double noise) {
  const auto problem = std::make_shared<const ClosedFormRidge>(rows, features, relevant_weights, noise, 12345);
  SearchSpace space{{"l2", hpo::FloatDistribution(1e-5, 1, true)}};
  const auto feature_name = [](std::size_t j) { return "f" + std::string(j < 10 ? "0" : "") + std::to_string(j); };
  for (std::size_t j = 0; j < features; ++j) space.emplace(feature_name(j), hpo::FloatDistribution(1e-5, 1, true));
  return {name, space, [problem, feature_name](const ParamMap& p) {
            std::vector<double> per_feature(problem->n_features());
            for (std::size_t j = 0; j < per_feature.size(); ++j) per_feature[j] = num(p, feature_name(j));
            return problem->validation_loss(num(p, "l2"), per_feature);
          }};
}

const std::vector<TestFunction>& functions() {
  static const std::vector<TestFunction> all = [] {
    std::vector<TestFunction> f;
    auto sphere = [](int n) {
      return [n](const ParamMap& p) {
        double s = 0;
        for (int i = 0; i < n; ++i) s += std::pow(num(p, "x" + std::to_string(i)), 2);
        return s;
      };
    };
    f.push_back({"sphere-2d", box("x", 2, -5, 5), sphere(2)});
    f.push_back({"sphere-10d", box("x", 10, -5, 5), sphere(10)});
    f.push_back({"branin",
                 {{"x0", hpo::FloatDistribution(-5, 10)}, {"x1", hpo::FloatDistribution(0, 15)}},
                 [](const ParamMap& p) {
                   const double x = num(p, "x0"), y = num(p, "x1"), pi = 3.14159265358979323846;
                   const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
                   return std::pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - t) * std::cos(x) + 10;
                 }});
    f.push_back({"rosenbrock-4d", box("x", 4, -2.048, 2.048), [](const ParamMap& p) {
                   double s = 0;
                   for (int i = 0; i < 3; ++i) {
                     const double a = num(p, "x" + std::to_string(i)), b = num(p, "x" + std::to_string(i + 1));
                     s += 100 * std::pow(b - a * a, 2) + std::pow(1 - a, 2);
                   }
                   return s;
                 }});
    f.push_back({"hartmann-6d", box("x", 6, 0, 1), [](const ParamMap& p) {
                   static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
                   static const double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                                  {0.05, 10, 17, 0.1, 8, 14},
                                                  {3, 3.5, 1.7, 10, 17, 8},
                                                  {17, 8, 0.05, 10, 0.1, 14}};
                   static const double q[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                                  {2329, 4135, 8307, 3736, 1004, 9991},
                                                  {2348, 1451, 3522, 2883, 3047, 6650},
                                                  {4047, 8828, 8732, 5743, 1091, 381}};
                   double s = 0;
                   for (int i = 0; i < 4; ++i) {
                     double e = 0;
                     for (int j = 0; j < 6; ++j)
                       e += a[i][j] * std::pow(num(p, "x" + std::to_string(j)) - q[i][j] * 1e-4, 2);
                     s -= alpha[i] * std::exp(-e);
                   }
                   return s;
                 }});
    // A validation-loss-like bowl in the logs of a learning rate and a weight decay.
    f.push_back({"log-scale",
                 {{"lr", hpo::FloatDistribution(1e-6, 1, true)}, {"wd", hpo::FloatDistribution(1e-8, 1e-1, true)}},
                 [](const ParamMap& p) {
                   const double u = std::log10(num(p, "lr")) + 2.5, v = std::log10(num(p, "wd")) + 5;
                   return u * u + 0.5 * v * v + 0.3 * u * v;
                 }});
    f.push_back({"mixed",
                 {{"x", hpo::FloatDistribution(-5, 5)},
                  {"layers", hpo::IntDistribution(1, 8)},
                  {"units", hpo::IntDistribution(4, 1024, true)},
                  {"batch", hpo::IntDistribution(16, 256, false, 16)},
                  {"optimizer", hpo::CategoricalDistribution({"sgd", "adam", "rmsprop", "adagrad"})}},
                 [](const ParamMap& p) {
                   static const std::map<std::string, double> cost{
                       {"sgd", 1.0}, {"adam", 0.0}, {"rmsprop", 0.5}, {"adagrad", 2.0}};
                   return std::pow(num(p, "x") - 1, 2) + std::pow(num(p, "layers") - 3, 2) / 4 +
                          std::pow(std::log2(num(p, "units")) - 7, 2) / 4 + std::abs(num(p, "batch") - 64) / 32 +
                          cost.at(p.at("optimizer").get<std::string>());
                 }});
    f.push_back(ridge("ridge-planted", 300, 20, {2.0, -1.5, 1.0, 0.5}, 1.0));
    f.push_back(ridge("ridge-bounds", 200, 10, {1.0, -1.0, 1.0, -1.0, 1.0}, 0.01));
    return f;
  }();
  return all;
}

const TestFunction& function_named(const std::string& name) {
  for (const auto& f : functions())
    if (f.name == name) return f;
  throw hpo::ValueError("no test function '" + name + "'");
}

// --serve: answers the Optuna side's requests, one JSON line each.
int serve() {
  std::string line;
  while (std::getline(std::cin, line)) {
    const Json request = hpo::parse_json(line);
    Json reply = Json::object();
    if (request.contains("space")) {
      for (const auto& [name, d] : function_named(request.at("space").get<std::string>()).space)
        reply[name] = hpo::parse_json(hpo::distribution_to_json(d));
    } else {
      ParamMap params;
      for (const auto& [name, value] : request.at("params").items()) params[name] = value;
      reply["value"] = function_named(request.at("function").get<std::string>()).value(params);
    }
    std::cout << hpo::dump_json(reply) << std::endl;
  }
  return 0;
}

using Curve = std::vector<double>;  // best value after each trial

Curve hpo_run(const TestFunction& f, const std::shared_ptr<hpo::Sampler>& sampler, int trials) {
  hpo::Study study = hpo::create_study(std::make_shared<hpo::InMemoryStorage>(), hpo::StudyOptions().sampler(sampler));
  Curve curve;
  double best = INFINITY;
  for (int i = 0; i < trials; ++i) {
    hpo::Trial trial = study.ask(f.space);
    const double value = f.value(trial.params());
    study.tell(trial, value);
    best = std::min(best, value);
    curve.push_back(best);
  }
  return curve;
}

std::string self_path() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

// Runs the Optuna side; returns its JSON lines.
std::vector<Json> run_optuna(const std::string& arguments) {
  const std::string command =
      "/usr/bin/python3 " HPO_BENCH_DIR "/tpe_vs_optuna_optuna.py --server " + self_path() + " " + arguments;
  std::vector<Json> lines;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return lines;
  std::string text;
  char buffer[1 << 16];
  while (std::fgets(buffer, sizeof buffer, pipe)) {
    text += buffer;
    if (text.back() != '\n') continue;
    lines.push_back(hpo::parse_json(text));
    text.clear();
  }
  if (pclose(pipe) != 0) std::cerr << "tpe_vs_optuna: the Optuna side failed: " << command << "\n";
  return lines;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

struct RankTest {
  double u;             // U of the first sample (small: the first's values are smaller)
  double p_two_sided;   // normal approximation with tie and continuity corrections
};

// Mann-Whitney U of a against b.
RankTest mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, int>> all;
  for (double x : a) all.emplace_back(x, 0);
  for (double x : b) all.emplace_back(x, 1);
  std::sort(all.begin(), all.end());
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size()), n = n1 + n2;
  double rank_sum_a = 0, tie_term = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double midrank = (static_cast<double>(i + j) + 1) / 2;  // ranks i+1 .. j
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    for (std::size_t k = i; k < j; ++k)
      if (all[k].second == 0) rank_sum_a += midrank;
    i = j;
  }
  const double u = rank_sum_a - n1 * (n1 + 1) / 2;
  const double mean = n1 * n2 / 2;
  const double variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) return {u, 1.0};
  const double z = (std::abs(u - mean) - 0.5) / std::sqrt(variance);
  return {u, std::min(1.0, std::erfc(std::max(z, 0.0) / std::sqrt(2.0)))};
}

std::string fmt(double x) {
  char b[64];
  std::snprintf(b, sizeof b, std::abs(x) >= 1e4 || (x != 0 && std::abs(x) < 1e-3) ? "%.3g" : "%.4f", x);
  return b;
}

std::string summary(const std::vector<double>& v) {
  return fmt(quantile(v, 0.5)) + " [" + fmt(quantile(v, 0.25)) + ", " + fmt(quantile(v, 0.75)) + "]";
}

// Seconds per sampled trial with n finished trials of the mixed function in `storage`.
double hpo_seconds_per_trial(const std::shared_ptr<hpo::Storage>& storage, const TestFunction& f, int& done, int n,
                             int samples) {
  hpo::Study filler = hpo::load_study(storage, "speed",
                                      hpo::StudyOptions().sampler(std::make_shared<hpo::RandomSampler>(n)));
  for (; done < n; ++done) {
    hpo::Trial t = filler.ask(f.space);
    filler.tell(t, f.value(t.params()));
  }
  hpo::Study study = hpo::load_study(
      storage, "speed", hpo::StudyOptions().sampler(std::make_shared<hpo::TPESampler>(hpo::TPESamplerOptions().seed(0))));
  double elapsed = 0;
  for (int i = 0; i < samples; ++i) {
    const auto start = std::chrono::steady_clock::now();
    hpo::Trial t = study.ask(f.space);
    elapsed += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    study.tell(t.number(), {}, hpo::TrialState::Fail);  // keeps n finished (FAIL is ignored)
  }
  return elapsed / samples;
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = 20, trials = 100;
  std::string speed = "100,1000,5000";
  bool check = false;
  std::string only;  // comma-separated function names; empty: all
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--serve") return serve();
    if (arg == "--seeds" && i + 1 < argc) seeds = std::stoi(argv[++i]);
    else if (arg == "--trials" && i + 1 < argc) trials = std::stoi(argv[++i]);
    else if (arg == "--speed" && i + 1 < argc) speed = argv[++i];
    else if (arg == "--no-speed") speed.clear();
    else if (arg == "--functions" && i + 1 < argc) only = argv[++i];
    else if (arg == "--check") check = true;
    else {
      std::cerr << "usage: tpe_vs_optuna [--seeds N] [--trials N] [--speed N,N,...] [--no-speed] [--functions F,...] [--check]\n";
      return 2;
    }
  }

  std::vector<const TestFunction*> chosen;
  for (const auto& f : functions())
    if (only.empty() || ("," + only + ",").find("," + f.name + ",") != std::string::npos) chosen.push_back(&f);
  std::string names;
  for (const TestFunction* f : chosen) names += (names.empty() ? "" : ",") + f->name;
  // The references: Debian's Optuna 3.1 as it is, and with the upstream fix of its kernel
  // density (Optuna 3.5+, whose kernels hpo implements).
  struct Reference {
    std::string label, flags;
    std::map<std::string, std::vector<Curve>> curves;
  };
  std::vector<Reference> references{{"Optuna 3.1", "", {}}, {"Optuna 3.1 + logpdf fix", " --fix-logpdf", {}}};
  if (check) references.erase(references.begin());  // the check compares the same algorithm only
  if (!names.empty())
    for (Reference& r : references)
      for (const Json& line : run_optuna("--quality " + names + " --seeds " + std::to_string(seeds) + " --trials " +
                                         std::to_string(trials) + r.flags))
        r.curves[line.at("function").get<std::string>()].push_back(line.at("best").get<Curve>());

  const std::vector<int> checkpoints{trials / 4, trials / 2, trials};
  const auto at = [](const std::vector<Curve>& curves, int trial) {
    std::vector<double> v;
    for (const auto& curve : curves) v.push_back(curve[static_cast<std::size_t>(trial - 1)]);
    return v;
  };
  std::printf("Best value found (median [quartiles]) over %d seeds, TPESampler with default options\n\n", seeds);
  std::string header = "| function | trials | hpo |", rule = "|---|---|---|";
  for (const Reference& r : references) header += " " + r.label + " |", rule += "---|";
  header += " hpo random search |", rule += "---|";
  std::printf("%s\n%s\n", header.c_str(), rule.c_str());
  std::vector<std::string> verdicts;
  bool worse_than_fixed = false;
  for (const TestFunction* chosen_function : chosen) {
    const TestFunction& f = *chosen_function;
    std::vector<Curve> ours, random;
    for (int s = 0; s < seeds; ++s) {
      const auto seed = static_cast<std::uint64_t>(s);
      ours.push_back(hpo_run(f, std::make_shared<hpo::TPESampler>(hpo::TPESamplerOptions().seed(seed)), trials));
      random.push_back(hpo_run(f, std::make_shared<hpo::RandomSampler>(seed), trials));
    }
    bool complete = true;
    for (Reference& r : references) complete = complete && r.curves[f.name].size() == ours.size();
    if (!complete) {
      std::printf("| %s | - | (Optuna side missing) | | |\n", f.name.c_str());
      worse_than_fixed = true;
      continue;
    }
    for (int c : checkpoints) {
      std::string row = "| " + f.name + " | " + std::to_string(c) + " | " + summary(at(ours, c)) + " |";
      for (Reference& r : references) row += " " + summary(at(r.curves[f.name], c)) + " |";
      row += " " + summary(at(random, c)) + " |";
      std::printf("%s\n", row.c_str());
    }
    std::string row = "| " + f.name;
    for (std::size_t r = 0; r < references.size(); ++r) {
      const auto a = at(ours, trials), b = at(references[r].curves[f.name], trials);
      const RankTest test = mann_whitney(a, b);
      const double mean_u = static_cast<double>(a.size() * b.size()) / 2;
      const bool significant = test.p_two_sided < 0.05;
      const bool worse = significant && test.u > mean_u;
      if (worse && !references[r].flags.empty()) worse_than_fixed = true;
      char cell[128];
      std::snprintf(cell, sizeof cell, " | %.1f | %.3f | %s", test.u, test.p_two_sided,
                    !significant ? "no significant difference" : worse ? "hpo worse" : "hpo better");
      row += cell;
    }
    verdicts.push_back(row + " |");
  }
  std::printf("\nMann-Whitney U on the best value after %d trials (U of hpo; %.0f = no difference; verdict at 5%%)\n\n",
              trials, static_cast<double>(seeds * seeds) / 2);
  header = "| function |", rule = "|---|";
  for (const Reference& r : references) header += " U vs " + r.label + " | p | verdict |", rule += "---|---|---|";
  std::printf("%s\n%s\n", header.c_str(), rule.c_str());
  for (const auto& v : verdicts) std::printf("%s\n", v.c_str());

  if (!speed.empty()) {
    std::vector<int> sizes;
    std::stringstream list(speed);
    for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::stoi(item));
    const TestFunction& f = function_named("mixed");
    const auto samples = [](int n) { return n >= 5000 ? 3 : n >= 1000 ? 5 : 10; };
    std::map<int, double> theirs;
    for (int n : sizes)
      for (const Json& line : run_optuna("--speed " + std::to_string(n) + " --samples " + std::to_string(samples(n))))
        theirs[line.at("finished").get<int>()] = line.at("seconds_per_trial").get<double>();
    auto memory = std::make_shared<hpo::InMemoryStorage>();
    const std::string db = (std::filesystem::temp_directory_path() / ("tpe_speed_" + std::to_string(::getpid()) + ".db")).string();
    std::filesystem::remove(db);
    auto sqlite = std::make_shared<hpo::SqliteStorage>(db);
    memory->create_new_study({hpo::StudyDirection::Minimize}, "speed");
    sqlite->create_new_study({hpo::StudyDirection::Minimize}, "speed");
    int done_memory = 0, done_sqlite = 0;
    std::printf("\nSeconds per sampled trial (5 parameters: float, int, log int, stepped int, categorical)\n\n");
    std::printf("| finished trials | hpo in-memory | hpo SQLite | Optuna 3.1 in-memory | Optuna / hpo in-memory |\n"
                "|---|---|---|---|---|\n");
    for (int n : sizes) {
      const double ours = hpo_seconds_per_trial(memory, f, done_memory, n, 20);
      const double ours_sqlite = hpo_seconds_per_trial(sqlite, f, done_sqlite, n, 20);
      const double optuna_s = theirs.count(n) ? theirs[n] : NAN;
      std::printf("| %d | %.2e | %.2e | %.2e | %.0fx |\n", n, ours, ours_sqlite, optuna_s, optuna_s / ours);
    }
    sqlite.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  }
  if (check && worse_than_fixed) {
    std::printf("\nhpo's TPE is significantly worse than Optuna's (with the logpdf fix) on some function\n");
    return 1;
  }
  return 0;
}
