// The hybrid search against random search and Optuna's TPE.
//
// Task: logistic regression with a global and a per-feature L2 penalty (65 continuous
// hyperparameters) on the bundled digits table, trained as `hpo optimize --task logistic`
// trains it, on one fixed split. For each configuration and seed, an in-memory study
// records the best validation loss after each trial and the time it took. Prints medians
// over seeds, the number of trials each hybrid method needs to reach TPE's 100-trial
// level, and writes an SVG of the median curves.
//
//   hybrid_search [--seeds 5] [--random-trials 100] [--hybrid-trials 20]
//                 [--methods t1t2,neumann,cg,drmad,unrolled] [--epochs 20] [--no-optuna]
//                 [--svg hybrid_search.svg]
//   hybrid_search --serve --seed S   (used by hybrid_search_tpe.py)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "data/load_dataset.hpp"
#include "data/split.hpp"
#include "hpo/hybrid/hypergradient_sampler.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/study.hpp"
#include "tasks/task.hpp"

namespace {

using Seconds = std::chrono::duration<double>;

struct Settings {
  int seeds = 5;
  int random_trials = 100;
  int hybrid_trials = 20;
  int epochs = 20;
  std::vector<std::string> methods = {"t1t2", "neumann", "cg", "drmad", "unrolled"};
  bool optuna = true;
  std::string svg = "hybrid_search.svg";
  bool serve = false;
  std::uint64_t seed = 0;
};

// One run: (seconds since start, best value so far) after each trial.
using Curve = std::vector<std::pair<double, double>>;

constexpr int kBatchSize = 64;
constexpr int kHyperStepsPerTrial = 20;

// The same split (seed 0) for every run.
const hpo::cli::DataSplit& split() {
  static const hpo::cli::DataSplit data = hpo::cli::split_dataset(
      hpo::cli::load_dataset(HPO_SOURCE_DIR "/examples/data/digits.csv.gz", std::string("target")), {});
  return data;
}

std::unique_ptr<hpo::cli::Task> make_task(int epochs, std::uint64_t seed) {
  hpo::cli::TrainingSettings training;
  training.epochs = epochs;
  training.batch_size = kBatchSize;
  training.seed = seed;
  return hpo::cli::make_task("logistic", split(), training);
}

// Inner steps between hyper-steps, as hpo optimize --hyper-steps 20 sets them.
std::int64_t inner_steps(int epochs) {
  auto batches = (static_cast<std::int64_t>(split().train.n_rows()) + kBatchSize - 1) / kBatchSize;
  return std::max<std::int64_t>(1, batches * epochs / kHyperStepsPerTrial);
}

hpo::OptimizeOptions catch_divergence() {
  return hpo::OptimizeOptions().catch_if(
      [](const std::exception& e) { return dynamic_cast<const hpo::cli::TrainingDiverged*>(&e) != nullptr; });
}

Curve run(const std::shared_ptr<hpo::Sampler>& sampler, int n_trials, int epochs, std::uint64_t seed) {
  auto task = make_task(epochs, seed);
  hpo::Study study = hpo::create_study(
      hpo::open_storage(), hpo::StudyOptions().sampler(sampler).pruner(std::make_shared<hpo::NopPruner>()));
  Curve curve;
  double best = INFINITY;
  auto start = std::chrono::steady_clock::now();
  study.optimize([&task](hpo::Trial& t) { return task->run_trial(t); },
                 catch_divergence().n_trials(n_trials).callbacks({[&](hpo::Study&, const hpo::FrozenTrial& t) {
                   if (t.state == hpo::TrialState::Complete) best = std::min(best, t.value());
                   curve.emplace_back(Seconds(std::chrono::steady_clock::now() - start).count(), best);
                 }}));
  return curve;
}

// Answers parameter sets (one JSON object per line) with validation losses, for the TPE side.
int serve(const Settings& s) {
  auto task = make_task(s.epochs, s.seed);
  hpo::Study study = hpo::create_study(hpo::open_storage(), hpo::StudyOptions()
                                                                .sampler(std::make_shared<hpo::RandomSampler>(s.seed))
                                                                .pruner(std::make_shared<hpo::NopPruner>()));
  std::string line;
  while (std::getline(std::cin, line)) {
    const hpo::Json request = hpo::parse_json(line);
    hpo::ParamMap params;
    for (const auto& [name, value] : request.items()) params[name] = value;
    study.enqueue_trial(params);
    study.optimize([&task](hpo::Trial& t) { return task->run_trial(t); }, catch_divergence().n_trials(1));
    const hpo::FrozenTrial t = study.trials().back();
    std::cout << (t.state == hpo::TrialState::Complete ? t.value() : INFINITY) << std::endl;
  }
  return 0;
}

std::vector<Curve> optuna_tpe(const Settings& s, const std::string& self) {
  std::string command = "/usr/bin/python3 " HPO_SOURCE_DIR "/bench/hybrid_search_tpe.py --server " + self +
                        " --seeds " + std::to_string(s.seeds) + " --trials " + std::to_string(s.random_trials) +
                        " --epochs " + std::to_string(s.epochs);
  std::vector<Curve> curves;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return curves;
  char buffer[1 << 16];
  std::string text;
  while (std::fgets(buffer, sizeof buffer, pipe)) {
    text += buffer;
    if (text.back() != '\n') continue;
    hpo::Json line = hpo::parse_json(text);
    text.clear();
    Curve curve;
    double best = INFINITY;
    for (const auto& point : line.at("curve")) {
      if (point[1].is_number()) best = std::min(best, point[1].get<double>());
      curve.emplace_back(point[0].get<double>(), best);
    }
    curves.push_back(curve);
  }
  if (pclose(pipe) != 0) std::cerr << "hybrid_search: the Optuna side failed (" << command << ")\n";
  return curves;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return NAN;
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Median over seeds of the best value after `n` trials (NaN when the runs are shorter).
double median_at(const std::vector<Curve>& curves, std::size_t n) {
  std::vector<double> values;
  for (const auto& c : curves)
    if (c.size() >= n) values.push_back(c[n - 1].second);
  return values.size() == curves.size() ? median(values) : NAN;
}

double median_seconds(const std::vector<Curve>& curves) {
  std::vector<double> v;
  for (const auto& c : curves) v.push_back(c.empty() ? NAN : c.back().first / static_cast<double>(c.size()));
  return median(v);
}

// The first trial (1-based) at which a run's best reaches `level`, or 0 if it never does.
std::size_t trials_to_reach(const Curve& curve, double level) {
  for (std::size_t i = 0; i < curve.size(); ++i)
    if (curve[i].second <= level) return i + 1;
  return 0;
}

struct Config {
  std::string name;
  std::vector<Curve> curves;
};

void write_svg(const std::vector<Config>& configs, const std::string& path) {
  const double width = 460, height = 320, left = 60, top = 30, plot_w = 360, plot_h = 230;
  double max_trials = 1, max_time = 1e-3, min_time = INFINITY;
  for (const auto& c : configs)
    for (const auto& curve : c.curves)
      for (std::size_t i = 0; i < curve.size(); ++i) {
        max_trials = std::max(max_trials, static_cast<double>(i + 1));
        max_time = std::max(max_time, curve[i].first);
        min_time = std::min(min_time, curve[i].first);
      }
  // The range the median curves move in: from the best final median to the worst median
  // first trial (best-so-far curves only go down).
  double first = -INFINITY, last = INFINITY;
  for (const auto& c : configs) {
    std::size_t n = c.curves.empty() ? 0 : c.curves[0].size();
    for (const auto& curve : c.curves) n = std::min(n, curve.size());
    if (n == 0) continue;
    first = std::max(first, median_at(c.curves, 1));
    last = std::min(last, median_at(c.curves, n));
  }
  const double lo = last - 0.05 * (first - last);
  const double hi = first + 0.05 * (first - last) + 1e-9;
  const char* colors[] = {"#444444", "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"};
  std::ofstream svg(path);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << 2 * width << "' height='" << height
      << "' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n";
  for (int panel = 0; panel < 2; ++panel) {
    double x0 = panel * width + left;
    auto x_of = [&](double v) {
      double a = panel == 0 ? std::log(v) / std::log(max_trials) : std::log(v / min_time) / std::log(max_time / min_time);
      return x0 + plot_w * a;
    };
    auto y_of = [&](double v) { return top + plot_h * (hi - std::min(v, hi)) / (hi - lo); };
    svg << "<rect x='" << x0 << "' y='" << top << "' width='" << plot_w << "' height='" << plot_h
        << "' fill='none' stroke='black'/>\n";
    svg << "<text x='" << x0 + plot_w / 2 << "' y='" << top + plot_h + 30 << "' text-anchor='middle'>"
        << (panel == 0 ? "trials (log scale)" : "seconds (log scale)") << "</text>\n";
    svg << "<text x='" << x0 << "' y='" << top - 10 << "'>median best validation loss over seeds</text>\n";
    for (double tick : {lo, (lo + hi) / 2, hi})
      svg << "<text x='" << x0 - 5 << "' y='" << y_of(tick) + 4 << "' text-anchor='end'>" << std::setprecision(3)
          << tick << "</text>\n";
    for (std::size_t k = 0; k < configs.size(); ++k) {
      const auto& curves = configs[k].curves;
      std::size_t n = curves.empty() ? 0 : curves[0].size();
      for (const auto& c : curves) n = std::min(n, c.size());
      svg << "<polyline fill='none' stroke-width='1.5' stroke='" << colors[k % 8] << "' points='";
      for (std::size_t i = 1; i <= n; ++i) {
        std::vector<double> seconds;
        for (const auto& c : curves) seconds.push_back(c[i - 1].first);
        double x = panel == 0 ? x_of(static_cast<double>(i)) : x_of(std::max(median(seconds), min_time));
        double y = median_at(curves, i);
        if (std::isfinite(y)) svg << x << "," << y_of(y) << " ";
      }
      svg << "'/>\n";
      if (panel == 1)
        svg << "<text x='" << x0 + plot_w - 5 << "' y='" << top + 15 + 14 * k << "' text-anchor='end' fill='"
            << colors[k % 8] << "'>" << configs[k].name << "</text>\n";
    }
  }
  svg << "</svg>\n";
}

Settings parse(int argc, char** argv) {
  Settings s;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--seeds") s.seeds = std::stoi(next());
    else if (a == "--random-trials") s.random_trials = std::stoi(next());
    else if (a == "--hybrid-trials") s.hybrid_trials = std::stoi(next());
    else if (a == "--epochs") s.epochs = std::stoi(next());
    else if (a == "--methods") {
      s.methods.clear();
      std::stringstream list(next());
      for (std::string m; std::getline(list, m, ',');) s.methods.push_back(m);
    } else if (a == "--no-optuna") s.optuna = false;
    else if (a == "--svg") s.svg = next();
    else if (a == "--serve") s.serve = true;
    else if (a == "--seed") s.seed = std::stoull(next());
    else throw std::runtime_error("unknown option " + a);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  try {
    s = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "hybrid_search: " << e.what() << "\n";
    return 2;
  }
  if (s.serve) return serve(s);

  std::vector<Config> configs;
  std::cerr << "random search: " << s.seeds << " seeds x " << s.random_trials << " trials\n";
  configs.push_back({"random", {}});
  for (int seed = 0; seed < s.seeds; ++seed)
    configs.back().curves.push_back(
        run(std::make_shared<hpo::RandomSampler>(seed), s.random_trials, s.epochs, static_cast<std::uint64_t>(seed)));
  if (s.optuna) {
    std::cerr << "Optuna TPE: " << s.seeds << " seeds x " << s.random_trials << " trials\n";
    configs.push_back({"optuna tpe", optuna_tpe(s, argv[0])});
    if (configs.back().curves.size() != static_cast<std::size_t>(s.seeds)) configs.pop_back();
  }
  for (const auto& method : s.methods) {
    std::cerr << "hybrid " << method << ": " << s.seeds << " seeds x " << s.hybrid_trials << " trials\n";
    configs.push_back({"hybrid " + method, {}});
    for (int seed = 0; seed < s.seeds; ++seed) {
      auto sampler = std::make_shared<hpo::HypergradientSampler>(
          hpo::HypergradientSamplerOptions()
              .method(method)
              .inner_steps(inner_steps(s.epochs))
              .hyper_lr(0.1)
              .seed(static_cast<std::uint64_t>(seed)),
          std::make_shared<hpo::RandomSampler>(seed));
      configs.back().curves.push_back(run(sampler, s.hybrid_trials, s.epochs, static_cast<std::uint64_t>(seed)));
    }
  }

  const std::vector<std::size_t> checkpoints = {1, 5, 10, 20, 50, 100};
  std::cout << "Logistic regression, 65 L2 penalties, digits (" << split().train.n_rows() << " train / "
            << split().valid.n_rows() << " valid rows), " << s.epochs
            << " epochs per trial; median over " << s.seeds << " seeds of the best validation loss after n trials\n\n";
  std::cout << std::left << std::setw(18) << "configuration" << std::right;
  for (auto n : checkpoints) std::cout << std::setw(9) << ("n=" + std::to_string(n));
  std::cout << std::setw(12) << "s/trial" << "\n";
  for (const auto& c : configs) {
    std::cout << std::left << std::setw(18) << c.name << std::right << std::fixed << std::setprecision(4);
    for (auto n : checkpoints) {
      double v = median_at(c.curves, n);
      if (std::isnan(v)) std::cout << std::setw(9) << "-";
      else std::cout << std::setw(9) << v;
    }
    std::cout << std::setw(12) << std::setprecision(3) << median_seconds(c.curves) << "\n";
  }

  const Config* reference = nullptr;
  for (const auto& c : configs)
    if (c.name == "optuna tpe") reference = &c;
  if (!reference) reference = &configs.front();
  double level = median_at(reference->curves, std::min<std::size_t>(100, reference->curves[0].size()));
  std::cout << "\nTrials each hybrid run needs to reach the " << reference->name << " level after "
            << std::min<std::size_t>(100, reference->curves[0].size()) << " trials (" << std::setprecision(4) << level
            << "); goal: at most 10\n";
  for (const auto& c : configs) {
    if (c.name.rfind("hybrid", 0) != 0) continue;
    std::cout << std::left << std::setw(18) << c.name << std::right;
    int within10 = 0;
    for (const auto& curve : c.curves) {
      std::size_t n = trials_to_reach(curve, level);
      within10 += n > 0 && n <= 10;
      std::cout << std::setw(6) << (n ? std::to_string(n) : std::string(">") + std::to_string(curve.size()));
    }
    std::cout << "   (" << within10 << "/" << c.curves.size() << " seeds within 10 trials)\n";
  }
  write_svg(configs, s.svg);
  std::cout << "\nCurves: " << s.svg << "\n";
  return 0;
}
