// The hybrid search against random search and TPE on a suite of problems, with one
// default configuration for all of them: the library's defaults, the built-in tasks'
// training code and the study's default pruner. Each problem brings its own training loop,
// as a user's program would: `hpo optimize`'s (mini-batch SGD with momentum, 20 epochs),
// full-batch training to convergence, or a short unconverged loop.
//
// Problems: per-pixel L2 logistic regression on the bundled digits table, with hpo
// optimize's loop and with 400 plain full-batch SGD steps (unconverged); per-feature L2
// softmax regression on a Fashion-MNIST subset (Debian's dataset-fashion-mnist, 7×7
// average-pooled); per-layer weight decay of an MLP on that subset, and of one trained 80
// epochs on 400 of its rows, where it overfits unless the decays are large; a synthetic ridge with
// planted relevant features; a synthetic ridge whose optimum lies on the box bounds
// (noiseless relevant features want the lowest penalty, pure-noise ones the highest). The
// two ridges are trained to convergence, so their best value is known in closed form.
//
// Every trial's value is judged by re-training the task with the trial's stored params and
// no refinement (what a user re-running the best params gets), never by the losses seen
// while λ moved. Prints, per problem, the median over seeds of the best judged value after
// n trials, the trials each hybrid run needs to reach TPE's 100-trial median, seconds per
// trial (training only), and writes one SVG of the median curves per problem. On a
// stochastic problem the lowest of 100 noisy values is partly luck, so it prints the same
// for what a user gets too: the mean of 5 fresh re-trainings of the study's best trial.
//
//   hybrid_search [--seeds 5] [--reference-trials 100] [--hybrid-trials 20]
//                 [--problems digits-logistic,digits-logistic-short,fashion-softmax,fashion-mlp,
//                             fashion-mlp-overfit,ridge-planted,ridge-bounds]
//                 [--methods t1t2,neumann,cg,drmad,unrolled] [--no-optuna] [--svg-prefix hybrid_search]
//                 [--greedy-horizon 1] [--start '{"param": value, ...}'] [--trace] [--no-variants]
//   hybrid_search --serve --problem P --seed S   (used by hybrid_search_tpe.py)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "data/load_dataset.hpp"
#include "data/split.hpp"
#include "hpo/hybrid/hypergradient_sampler.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/samplers/tpe_sampler.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/study.hpp"
#include "tasks/linear_model.hpp"
#include "tasks/task.hpp"

namespace {

using Seconds = std::chrono::duration<double>;
using hpo::cli::DataSplit;
using hpo::cli::Dataset;

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) items.push_back(item);
  return items;
}

// A JSON object of params, as `--start` and the server's requests give them.
hpo::ParamMap params_of(const std::string& json) {
  const hpo::Json object = hpo::parse_json(json);
  if (!object.is_object()) throw std::runtime_error("expected a JSON object of params, got " + json);
  hpo::ParamMap params;
  for (const auto& [name, value] : object.items()) params[name] = value;
  return params;
}

struct Settings {
  int seeds = 5;
  int reference_trials = 100;
  int hybrid_trials = 20;
  std::vector<std::string> problems = {"digits-logistic", "digits-logistic-short", "fashion-softmax",
                                       "fashion-mlp",     "fashion-mlp-overfit",   "ridge-planted",
                                       "ridge-bounds"};
  std::vector<std::string> methods = {"t1t2", "neumann", "cg", "drmad", "unrolled"};
  bool optuna = true;
  std::string svg_prefix = "hybrid_search";
  std::int64_t greedy_horizon = 1;  // HyperOptimizerOptions::greedy_horizon of every hybrid row
  // Every trial of every study starts from these params (enqueued): what refinement does
  // from a chosen start.
  std::optional<hpo::ParamMap> start;
  // One line per trial on stderr: params, stored and judged value, and a hybrid trial's
  // start, hyper-steps and greedy steps.
  bool trace = false;
  bool variants = true;  // the hybrid rows on TPE and with pruning
  bool serve = false;
  std::string problem;
  std::uint64_t seed = 0;
};

// A run's state after one trial. `best` is the best judged value of any trial so far. A
// user, though, keeps the study's best trial, chosen by the values the study saw, and on a
// stochastic problem the lowest of many noisy values is partly luck: `retrained` is what
// the user gets, the mean of kRetrainings fresh re-trainings of that trial's params.
struct Point {
  double seconds;  // of training since the start
  double best;
  double retrained;
  // A hybrid trial whose training reached a converged point (its `hypergrad` record has a
  // stationary_point); false for the other trials.
  bool converged = false;
  // A judged trial's stored value minus its judged re-training; NaN for the other trials.
  double value_minus_retraining = NAN;
};
using Curve = std::vector<Point>;
using Metric = double Point::*;
constexpr int kRetrainings = 5;

struct Problem {
  std::string name;
  std::string task;
  std::string description;
  DataSplit data;
  hpo::cli::TrainingSettings training;  // the problem's training loop (its seed is the run's)
  std::string loop;                     // that loop in words
  std::optional<double> optimum;        // the best value there is, where the closed form gives it
};

// A Fashion-MNIST subset of `rows` images, 7×7 average-pooled (49 features), so that a
// trial takes seconds and TPE a 50-dimensional space.
Dataset fashion_subset(std::size_t rows) {
  const Dataset full = hpo::cli::load_dataset("/usr/share/datasets/fashion-mnist", std::nullopt);
  std::vector<std::size_t> first(std::min(rows, full.n_rows()));
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
  const Dataset images = hpo::cli::select_rows(full, first);
  Dataset pooled = images;
  pooled.feature_names.clear();
  pooled.features.assign(images.n_rows() * 49, 0.0f);
  for (int cell = 0; cell < 49; ++cell) pooled.feature_names.push_back("pool" + std::to_string(cell));
  for (std::size_t r = 0; r < images.n_rows(); ++r)
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x)
        pooled.features[r * 49 + (y / 4) * 7 + x / 4] += images.row(r)[y * 28 + x] / 16.0f;
  return pooled;
}

// y = X w + noise·ε over `features` standard normal features, of which the first
// weights.size() carry the weights; written as a CSV and read as users' tables are read.
Dataset synthetic_ridge(const std::string& name, std::size_t rows, std::size_t features,
                        const std::vector<double>& weights, double noise) {
  std::mt19937_64 generator(12345);
  std::normal_distribution<double> normal;
  const std::filesystem::path path = std::filesystem::temp_directory_path() / ("hpo_bench_" + name + ".csv");
  std::ofstream csv(path);
  for (std::size_t j = 0; j < features; ++j) csv << "x" << j << ",";
  csv << "y\n";
  for (std::size_t i = 0; i < rows; ++i) {
    double y = 0;
    for (std::size_t j = 0; j < features; ++j) {
      const double x = normal(generator);
      if (j < weights.size()) y += weights[j] * x;
      csv << x << ",";
    }
    csv << y + noise * normal(generator) << "\n";
  }
  csv.close();
  return hpo::cli::load_dataset(path, std::string("y"));
}

// The minimum over the box of the ridge task's validation loss L_V(w*(λ)), with w* in
// closed form: the task's model (weights and an unpenalized bias, penalty
// ½ Σ_i (λ + λ_i) ‖W_i‖², targets standardized with the training rows' mean and deviation).
// Projected Adam on log λ with the exact gradient, from the box's low, middle and high
// corners, its step size shrinking to 1e-4 of the range.
double ridge_optimum(const DataSplit& data) {
  const auto table = [](const Dataset& d) {
    std::vector<double> x(d.features.begin(), d.features.end());
    std::vector<double> y(d.targets.begin(), d.targets.end());
    const auto rows = static_cast<long>(d.n_rows()), columns = static_cast<long>(d.n_features());
    return std::pair{torch::cat({torch::tensor(x, torch::kFloat64).view({rows, columns}),
                                 torch::ones({rows, 1}, torch::kFloat64)}, 1),
                     torch::tensor(y, torch::kFloat64)};
  };
  auto [x, y] = table(data.train);
  auto [x_valid, y_valid] = table(data.valid);
  const torch::Tensor mean = y.mean(), deviation = y.std(/*unbiased=*/false);
  y = (y - mean) / deviation;
  y_valid = (y_valid - mean) / deviation;
  const auto rows = static_cast<double>(x.size(0));
  const torch::Tensor gram = x.t().mm(x) / rows, moment = x.t().mv(y) / rows;
  const long n_features = x.size(1) - 1;
  const double low = std::log(hpo::cli::kLowestL2), high = std::log(hpo::cli::kHighestL2);
  double best = INFINITY;
  for (double start : {low, 0.5 * (low + high), high}) {
    // θ[0] = log λ (global), θ[1 + i] = log λ_i.
    torch::Tensor theta = torch::full({n_features + 1}, start, torch::kFloat64).requires_grad_();
    torch::optim::Adam adam({theta}, torch::optim::AdamOptions(0.05 * (high - low)));
    const int iterations = 4000;
    for (int k = 0; k < iterations; ++k) {
      const double share = std::pow(1e-4 / 0.05, static_cast<double>(k) / iterations);
      static_cast<torch::optim::AdamOptions&>(adam.param_groups()[0].options()).lr(0.05 * share * (high - low));
      const torch::Tensor penalty =
          torch::cat({theta[0].exp() + theta.slice(0, 1).exp(), torch::zeros({1}, torch::kFloat64)});
      const torch::Tensor w = torch::linalg::solve(gram + torch::diag(penalty), moment.unsqueeze(1), true).squeeze(1);
      const torch::Tensor loss = 0.5 * (x_valid.mv(w) - y_valid).pow(2).mean();
      best = std::min(best, loss.item<double>());
      adam.zero_grad();
      loss.backward();
      adam.step();
      const torch::NoGradGuard no_grad;
      theta.clamp_(low, high);
    }
  }
  return best;
}

// hpo optimize's loop: mini-batch SGD with momentum 0.9, batches of 64, 20 epochs.
hpo::cli::TrainingSettings minibatch_loop() { return {}; }

// `steps` full-batch SGD steps with `momentum`.
hpo::cli::TrainingSettings full_batch_loop(const DataSplit& data, int steps, double momentum) {
  hpo::cli::TrainingSettings loop;
  loop.epochs = steps;
  loop.batch_size = static_cast<int>(data.train.n_rows());
  loop.momentum = momentum;
  return loop;
}

Problem make_problem(const std::string& name) {
  const auto split = [](const Dataset& data) { return hpo::cli::split_dataset(data, {}); };
  const std::string minibatch = "hpo optimize's loop: mini-batch SGD, momentum 0.9, 20 epochs";
  if (name == "digits-logistic" || name == "digits-logistic-short") {
    const DataSplit digits =
        split(hpo::cli::load_dataset(HPO_SOURCE_DIR "/examples/data/digits.csv.gz", std::string("target")));
    if (name == "digits-logistic") {
      return {name, "logistic", "per-pixel L2 logistic regression, digits (65 penalties)", digits, minibatch_loop(),
              minibatch, std::nullopt};
    }
    return {name, "logistic", "per-pixel L2 logistic regression, digits (65 penalties)", digits,
            full_batch_loop(digits, 400, 0.0), "400 plain full-batch SGD steps (unconverged)", std::nullopt};
  }
  if (name == "fashion-softmax") {
    return {name, "logistic", "per-feature L2 softmax regression, Fashion-MNIST 2000 rows 7x7 (50 penalties)",
            split(fashion_subset(2000)), minibatch_loop(), minibatch, std::nullopt};
  }
  if (name == "fashion-mlp-overfit") {
    hpo::cli::TrainingSettings loop = minibatch_loop();
    loop.epochs = 80;
    return {name,
            "mlp",
            "MLP with per-layer weight decay, overfitting: Fashion-MNIST 500 rows 7x7",
            split(fashion_subset(500)),
            loop,
            "mini-batch SGD, momentum 0.9, 80 epochs",
            std::nullopt};
  }
  if (name == "fashion-mlp") {
    return {name,           "mlp",     "MLP with per-layer weight decay, Fashion-MNIST 2000 rows 7x7",
            split(fashion_subset(2000)), minibatch_loop(), minibatch, std::nullopt};
  }
  const std::string converged = "2000 full-batch SGD steps, momentum 0.9 (converged)";
  if (name == "ridge-planted") {
    const DataSplit data = split(synthetic_ridge(name, 300, 20, {2.0, -1.5, 1.0, 0.5}, 1.0));
    return {name,      "ridge",     "per-feature ridge, 4 of 20 features relevant, 300 rows (21 penalties)",
            data,      full_batch_loop(data, 2000, 0.9), converged, ridge_optimum(data)};
  }
  if (name == "ridge-bounds") {
    const DataSplit data = split(synthetic_ridge(name, 200, 10, {1.0, -1.0, 1.0, -1.0, 1.0}, 0.01));
    return {name,
            "ridge",
            "per-feature ridge, optimum on the bounds: 5 noiseless + 5 pure-noise features (11 penalties)",
            data,
            full_batch_loop(data, 2000, 0.9),
            converged,
            ridge_optimum(data)};
  }
  throw std::runtime_error("unknown problem " + name);
}

std::unique_ptr<hpo::cli::Task> make_task(const Problem& problem, std::uint64_t seed) {
  hpo::cli::TrainingSettings training = problem.training;
  training.seed = seed;
  return hpo::cli::make_task(problem.task, problem.data, training);
}

hpo::OptimizeOptions catch_divergence() {
  return hpo::OptimizeOptions().catch_if(
      [](const std::exception& e) { return dynamic_cast<const hpo::cli::TrainingDiverged*>(&e) != nullptr; });
}

// Trains the task with `params` held fixed (random sampler, no pruning): the value a user
// gets from re-running them. Infinity when training diverges.
class Judge {
 public:
  Judge(const Problem& problem, std::uint64_t seed)
      : task_(make_task(problem, seed)),
        study_(hpo::create_study(hpo::open_storage(), hpo::StudyOptions()
                                                          .sampler(std::make_shared<hpo::RandomSampler>(seed))
                                                          .pruner(std::make_shared<hpo::NopPruner>()))) {}

  double operator()(const hpo::ParamMap& params) {
    study_.enqueue_trial(params);
    study_.optimize([this](hpo::Trial& t) { return task_->run_trial(t); }, catch_divergence().n_trials(1));
    const hpo::FrozenTrial t = study_.trials().back();
    return t.state == hpo::TrialState::Complete ? t.value() : INFINITY;
  }
  // Each re-training seeds the model with its own trial number, as a new run would.
  double mean_of_retrainings(const hpo::ParamMap& params) {
    double sum = 0;
    for (int i = 0; i < kRetrainings; ++i) sum += (*this)(params);
    return sum / kRetrainings;
  }
  hpo::Study& study() { return study_; }

 private:
  std::unique_ptr<hpo::cli::Task> task_;
  hpo::Study study_;
};

// One --trace line: what the trial stored, what re-training its params gave, and for a
// hybrid trial where refinement started and how it stepped.
void trace(const std::string& config, std::uint64_t seed, const hpo::FrozenTrial& t, double judged) {
  std::cerr << "trace " << config << " seed " << seed << " trial " << t.number << " params "
            << hpo::dump_json(hpo::Json(t.params)) << " value " << t.value() << " judged " << judged;
  if (const auto record = t.system_attrs.find("hypergrad"); record != t.system_attrs.end()) {
    const hpo::Json& r = record->second;
    std::cerr << " initial " << hpo::dump_json(r.at("initial_params")) << " hyper_steps " << r.at("hyper_steps")
              << " greedy_steps " << r.at("greedy_steps") << " converged " << r.contains("stationary_point");
    if (r.contains("whole_runs")) std::cerr << " whole_runs " << hpo::dump_json(r.at("whole_runs")) << " best_run " << r.at("best_run");
  }
  std::cerr << "\n";
}

// A study with `sampler` and the default pruner; refined trials are judged by re-training.
Curve run(const Settings& s, const Problem& problem, const std::string& config,
          const std::shared_ptr<hpo::Sampler>& sampler, int n_trials, std::uint64_t seed, bool judge_by_retraining) {
  auto task = make_task(problem, seed);
  Judge judge(problem, seed);
  hpo::Study study = hpo::create_study(hpo::open_storage(), hpo::StudyOptions().sampler(sampler));
  if (s.start) {
    for (int i = 0; i < n_trials; ++i) study.enqueue_trial(*s.start);
  }
  Curve curve;
  double best = INFINITY, retrained = INFINITY, training = 0;
  int incumbent = -1;
  auto start = std::chrono::steady_clock::now();
  study.optimize([&task](hpo::Trial& t) { return task->run_trial(t); },
                 catch_divergence().n_trials(n_trials).callbacks({[&](hpo::Study& current, const hpo::FrozenTrial& t) {
                   training += Seconds(std::chrono::steady_clock::now() - start).count();
                   double value_minus_retraining = NAN;
                   if (t.state == hpo::TrialState::Complete) {
                     const double judged = judge_by_retraining ? judge(t.params) : t.value();
                     if (judge_by_retraining) value_minus_retraining = t.value() - judged;
                     best = std::min(best, judged);
                     const hpo::FrozenTrial study_best = current.best_trial();
                     if (study_best.number != incumbent) {
                       incumbent = study_best.number;
                       retrained = judge.mean_of_retrainings(study_best.params);
                     }
                     if (s.trace) trace(config, seed, t, judged);
                   } else if (s.trace) {
                     const auto reason = t.system_attrs.find("fail_reason");
                     std::cerr << "trace " << config << " seed " << seed << " trial " << t.number << " "
                               << hpo::to_string(t.state) << " "
                               << (reason != t.system_attrs.end() ? hpo::dump_json(reason->second) : "") << "\n";
                   }
                   const auto record = t.system_attrs.find("hypergrad");
                   const bool converged =
                       record != t.system_attrs.end() && record->second.contains("stationary_point");
                   curve.push_back({training, best, retrained, converged, value_minus_retraining});
                   start = std::chrono::steady_clock::now();
                 }}));
  return curve;
}

// Answers parameter sets (one JSON object per line) with validation losses, for the TPE
// side; the first line out is the search space (name → Optuna distribution JSON).
int serve(const Settings& s) {
  const Problem problem = make_problem(s.problem);
  Judge judge(problem, s.seed);
  judge.study().optimize([&](hpo::Trial& t) { return make_task(problem, s.seed)->run_trial(t); },
                         catch_divergence().n_trials(1));
  hpo::Json space = hpo::Json::object();
  const hpo::FrozenTrial first = judge.study().trials().back();
  for (const auto& [name, distribution] : first.distributions)
    space[name] = hpo::distribution_to_json(distribution);
  std::cout << hpo::dump_json(space) << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::cout << judge(params_of(line)) << std::endl;
  }
  return 0;
}

// Optuna's studies, each trial's value as the server judged it; the study's best trials are
// re-trained here.
std::vector<Curve> optuna_tpe(const Settings& s, const Problem& problem, const std::string& self) {
  const std::string command = "/usr/bin/python3 " HPO_SOURCE_DIR "/bench/hybrid_search_tpe.py --server " + self +
                              " --problem " + problem.name + " --seeds " + std::to_string(s.seeds) + " --trials " +
                              std::to_string(s.reference_trials);
  std::vector<Curve> curves;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return curves;
  char buffer[1 << 16];
  std::string text;
  while (std::fgets(buffer, sizeof buffer, pipe)) {
    text += buffer;
    if (text.back() != '\n') continue;
    const hpo::Json line = hpo::parse_json(text);
    text.clear();
    Judge judge(problem, line.at("seed").get<std::uint64_t>());
    Curve curve;
    double best = INFINITY, retrained = INFINITY;
    for (const auto& point : line.at("curve")) {
      if (point[1].is_number() && point[1].get<double>() < best) {
        best = point[1].get<double>();
        hpo::ParamMap params;
        for (const auto& [name, value] : point[2].items()) params[name] = value;
        retrained = judge.mean_of_retrainings(params);
      }
      curve.push_back({point[0].get<double>(), best, retrained});
    }
    curves.push_back(curve);
  }
  if (pclose(pipe) != 0) std::cerr << "hybrid_search: the Optuna side failed (" << command << ")\n";
  return curves;
}

constexpr std::string_view kHybridPrefix = "hybrid ";

struct Config {
  std::string name;
  std::vector<Curve> curves;
  bool hybrid() const { return name.rfind(kHybridPrefix, 0) == 0; }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return NAN;
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Median over seeds of a run's `metric` after `n` trials (NaN when the runs are shorter).
double median_at(const std::vector<Curve>& curves, std::size_t n, Metric metric = &Point::best) {
  std::vector<double> values;
  for (const auto& c : curves)
    if (c.size() >= n) values.push_back(c[n - 1].*metric);
  return values.size() == curves.size() ? median(values) : NAN;
}

double median_seconds(const std::vector<Curve>& curves) {
  std::vector<double> v;
  for (const auto& c : curves) v.push_back(c.empty() ? NAN : c.back().seconds / static_cast<double>(c.size()));
  return median(v);
}

// The first trial (1-based) at which a run's best reaches `level`, or 0 if it never does.
std::size_t trials_to_reach(const Curve& curve, double level, Metric metric = &Point::best) {
  for (std::size_t i = 0; i < curve.size(); ++i)
    if (curve[i].*metric <= level) return i + 1;
  return 0;
}

void write_svg(const std::vector<Config>& configs, const std::string& path) {
  const double width = 460, height = 320, left = 60, top = 30, plot_w = 360, plot_h = 230;
  double max_trials = 1, max_time = 1e-3, min_time = INFINITY;
  for (const auto& c : configs)
    for (const auto& curve : c.curves)
      for (std::size_t i = 0; i < curve.size(); ++i) {
        max_trials = std::max(max_trials, static_cast<double>(i + 1));
        max_time = std::max(max_time, curve[i].seconds);
        min_time = std::min(min_time, curve[i].seconds);
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
        for (const auto& c : curves) seconds.push_back(c[i - 1].seconds);
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
    else if (a == "--reference-trials") s.reference_trials = std::stoi(next());
    else if (a == "--hybrid-trials") s.hybrid_trials = std::stoi(next());
    else if (a == "--problems") s.problems = split_list(next());
    else if (a == "--problem") s.problem = next();
    else if (a == "--methods") s.methods = split_list(next());
    else if (a == "--no-optuna") s.optuna = false;
    else if (a == "--svg-prefix") s.svg_prefix = next();
    else if (a == "--serve") s.serve = true;
    else if (a == "--seed") s.seed = std::stoull(next());
    else if (a == "--greedy-horizon") s.greedy_horizon = std::stoll(next());
    else if (a == "--start") s.start = params_of(next());
    else if (a == "--trace") s.trace = true;
    else if (a == "--no-variants") s.variants = false;
    else throw std::runtime_error("unknown option " + a);
  }
  return s;
}

std::shared_ptr<hpo::Sampler> hybrid_sampler(const Settings& s, const std::string& method,
                                             std::shared_ptr<hpo::Sampler> base, std::uint64_t seed,
                                             std::optional<std::int64_t> pruning_warmup_steps = std::nullopt) {
  auto options = hpo::HypergradientSamplerOptions()
                     .method(hpo::hypergrad::method_options(method))
                     .hyper_optimizer(hpo::hypergrad::HyperOptimizerOptions().greedy_horizon(s.greedy_horizon))
                     .seed(seed)
                     .pruning_warmup_steps(pruning_warmup_steps);
  return std::make_shared<hpo::HypergradientSampler>(options, std::move(base));
}

std::vector<Config> run_problem(const Settings& s, const Problem& problem, const std::string& self) {
  std::vector<Config> configs;
  auto add = [&](const std::string& name, int n_trials, bool judged,
                 const std::function<std::shared_ptr<hpo::Sampler>(std::uint64_t)>& sampler) {
    std::cerr << problem.name << ": " << name << ", " << s.seeds << " seeds x " << n_trials << " trials\n";
    configs.push_back({name, {}});
    for (int seed = 0; seed < s.seeds; ++seed) {
      const auto u = static_cast<std::uint64_t>(seed);
      configs.back().curves.push_back(run(s, problem, name, sampler(u), n_trials, u, judged));
    }
  };
  add("random", s.reference_trials, false, [](std::uint64_t seed) { return std::make_shared<hpo::RandomSampler>(seed); });
  if (s.optuna) {
    std::cerr << problem.name << ": optuna tpe, " << s.seeds << " seeds x " << s.reference_trials << " trials\n";
    configs.push_back({"optuna tpe", optuna_tpe(s, problem, self)});
    if (configs.back().curves.size() != static_cast<std::size_t>(s.seeds)) configs.pop_back();
  }
  if (configs.back().name != "optuna tpe") {  // hpo's TPE stands in for Optuna's
    add("hpo tpe", s.reference_trials, false,
        [](std::uint64_t seed) { return std::make_shared<hpo::TPESampler>(hpo::TPESamplerOptions().seed(seed)); });
  }
  // A network is not convex: its hybrid trials refine across whole runs, where the method
  // plays no part (HypergradientSamplerOptions::whole_runs) and the pruner is asked from
  // the second run on.
  const bool whole_runs = problem.task == "mlp";
  const std::string default_method = whole_runs ? "whole runs" : "cg";
  const std::int64_t pruning_warmup = whole_runs ? 2 : 10;
  const std::vector<std::string> methods = whole_runs ? std::vector<std::string>{"cg"} : s.methods;
  for (const auto& method : methods) {
    add(std::string(kHybridPrefix) + (whole_runs ? default_method : method), s.hybrid_trials, true,
        [&](std::uint64_t seed) { return hybrid_sampler(s, method, std::make_shared<hpo::RandomSampler>(seed), seed); });
  }
  if (!s.variants) return configs;
  add(std::string(kHybridPrefix) + default_method + " + tpe", s.hybrid_trials, true, [&](std::uint64_t seed) {
    return hybrid_sampler(s, "cg", std::make_shared<hpo::TPESampler>(hpo::TPESamplerOptions().seed(seed)), seed);
  });
  // Hybrid trials are not pruned by default; this row measures the opt-in.
  add(std::string(kHybridPrefix) + default_method + " pruned", s.hybrid_trials, true, [&](std::uint64_t seed) {
    return hybrid_sampler(s, "cg", std::make_shared<hpo::RandomSampler>(seed), seed, pruning_warmup);
  });
  return configs;
}

// One row per configuration: the median over seeds of `metric` after n trials.
void print_table(const std::vector<Config>& configs, Metric metric, bool seconds) {
  const std::vector<std::size_t> checkpoints = {1, 5, 10, 20, 50, 100};
  std::cout << std::left << std::setw(20) << "configuration" << std::right;
  for (auto n : checkpoints) std::cout << std::setw(10) << ("n=" + std::to_string(n));
  std::cout << (seconds ? "   s/trial" : "") << "\n";
  for (const auto& c : configs) {
    std::cout << std::left << std::setw(20) << c.name << std::right << std::setprecision(4);
    for (auto n : checkpoints) {
      const double v = median_at(c.curves, n, metric);
      if (std::isnan(v)) std::cout << std::setw(10) << "-";
      else std::cout << std::setw(10) << v;
    }
    if (seconds) std::cout << std::setw(10) << std::setprecision(3) << median_seconds(c.curves);
    std::cout << "\n";
  }
}

// How many hybrid trials reached a converged point, where an implicit method's hyper-steps
// hold (the others took greedy steps only), and whether their stored values are what their
// params give: the mean difference to a re-training is 0 within its standard error then.
void print_hybrid_trials(const std::vector<Config>& configs) {
  std::cout << "Hybrid trials whose training reached a converged point:";
  for (const auto& c : configs) {
    if (!c.hybrid()) continue;
    std::size_t converged = 0, trials = 0;
    for (const auto& curve : c.curves) {
      trials += curve.size();
      for (const Point& p : curve) converged += p.converged;
    }
    std::cout << "  " << c.name.substr(kHybridPrefix.size()) << " " << converged << "/" << trials;
  }
  std::cout << "\nHybrid trials' stored value minus one re-training with their params, mean ± standard error:";
  for (const auto& c : configs) {
    if (!c.hybrid()) continue;
    std::vector<double> differences;
    for (const auto& curve : c.curves)
      for (const Point& p : curve)
        if (std::isfinite(p.value_minus_retraining)) differences.push_back(p.value_minus_retraining);
    const double n = static_cast<double>(differences.size());
    double mean = 0, squares = 0;
    for (double d : differences) mean += d / n;
    for (double d : differences) squares += (d - mean) * (d - mean);
    std::cout << "  " << c.name.substr(kHybridPrefix.size()) << " " << std::showpos << std::setprecision(2) << mean
              << std::noshowpos << " ± " << std::sqrt(squares / (n - 1) / n);
  }
  std::cout << "\n";
}

// For each hybrid configuration, the trials each seed's run needs to reach the reference's
// (TPE's) median of `metric` after 100 trials, and its median against random search's at
// the hybrid's last trial.
void print_trials_to_reach(const std::vector<Config>& configs, Metric metric, const Settings& s) {
  const Config* reference = &configs.front();
  const Config* random = &configs.front();
  for (const auto& c : configs)
    if (c.name == "optuna tpe" || (c.name == "hpo tpe" && reference->name != "optuna tpe")) reference = &c;
  const std::size_t n_reference = std::min<std::size_t>(100, reference->curves[0].size());
  const double level = median_at(reference->curves, n_reference, metric);
  std::cout << "\nTrials each hybrid run needs to reach the " << reference->name << " median after " << n_reference
            << " trials (" << std::setprecision(4) << level << "); goal: at most 10. Hybrid vs random search after "
            << s.hybrid_trials << " trials: the goal is never worse.\n";
  for (const auto& c : configs) {
    if (!c.hybrid()) continue;
    std::cout << std::left << std::setw(20) << c.name << std::right;
    int within10 = 0;
    for (const auto& curve : c.curves) {
      const std::size_t n = trials_to_reach(curve, level, metric);
      within10 += n > 0 && n <= 10;
      std::cout << std::setw(5) << (n ? std::to_string(n) : std::string(">") + std::to_string(curve.size()));
    }
    const auto n = static_cast<std::size_t>(s.hybrid_trials);
    const double hybrid = median_at(c.curves, n, metric), random_search = median_at(random->curves, n, metric);
    std::cout << "   " << within10 << "/" << c.curves.size() << " within 10;  vs random at n=" << n << ": "
              << std::setprecision(4) << hybrid << " vs " << random_search
              << (hybrid > random_search ? "  (worse)" : "") << "\n";
  }
}

void print_problem(const Problem& problem, const std::vector<Config>& configs, const Settings& s) {
  std::cout << "\n## " << problem.name << ": " << problem.description << " (" << problem.data.train.n_rows()
            << " train / " << problem.data.valid.n_rows() << " valid rows); training: " << problem.loop << "\n\n"
            << "Median over " << s.seeds << " seeds of the best judged validation loss after n trials:\n";
  print_table(configs, &Point::best, true);
  print_hybrid_trials(configs);
  print_trials_to_reach(configs, &Point::best, s);
  std::cout << "\nWhat a user gets: median over seeds of the mean of " << kRetrainings
            << " fresh re-trainings of the study's best trial after n trials:\n";
  print_table(configs, &Point::retrained, false);
  print_trials_to_reach(configs, &Point::retrained, s);
  if (!problem.optimum) return;
  const double tolerance = 1e-4;
  std::cout << "\nClosed-form optimum " << std::setprecision(6) << *problem.optimum << ". Trials each run needs to come within "
            << tolerance << " of it (goal for the hybrid: at most 3):\n";
  for (const auto& c : configs) {
    std::cout << std::left << std::setw(20) << c.name << std::right;
    for (const auto& curve : c.curves) {
      const std::size_t n = trials_to_reach(curve, *problem.optimum + tolerance);
      std::cout << std::setw(5) << (n ? std::to_string(n) : std::string(">") + std::to_string(curve.size()));
    }
    std::cout << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  try {
    s = parse(argc, argv);
    if (s.serve) return serve(s);
    for (const auto& name : s.problems) {
      const Problem problem = make_problem(name);
      const std::vector<Config> configs = run_problem(s, problem, argv[0]);
      print_problem(problem, configs, s);
      const std::string svg = s.svg_prefix + "_" + name + ".svg";
      write_svg(configs, svg);
      std::cout << "\nCurves: " << svg << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "hybrid_search: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
