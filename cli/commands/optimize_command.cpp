// optimize: run a built-in task on the user's data, one trial per hyperparameter draw,
// stored in the study database; rerunning the same command resumes the study.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "data/load_dataset.hpp"
#include "data/split.hpp"
#include "hpo/error.hpp"
#include "hpo/hybrid/hypergradient_sampler.hpp"
#include "hpo/hypergrad/make_method.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/samplers/tpe_sampler.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"
#include "interrupt.hpp"
#include "progress.hpp"
#include "records.hpp"
#include "study_access.hpp"
#include "tasks/task.hpp"
#include "trial_records.hpp"

namespace po = boost::program_options;

namespace hpo::cli {

namespace {

// Running trials write a heartbeat this often; one that a dead worker left RUNNING is
// failed by the next run once its heartbeat is two intervals old.
constexpr double kDefaultHeartbeatSeconds = 30;
// A failed stale trial is re-enqueued with its parameters (it was killed, not bad), but
// not forever: parameters that kill the worker every time (e.g. out of memory) give up.
constexpr int kMaxRetry = 3;
// The best trial's parameters shown at the end; the rest are left to `hpo best-trial`.
constexpr std::size_t kParamsShown = 16;

struct OptimizeRequest {
  std::string task;
  std::filesystem::path data;
  std::optional<std::string> target;
  SplitOptions split;
  TrainingSettings training;
  std::optional<int> n_trials;
  std::optional<std::chrono::duration<double>> timeout;
  std::chrono::milliseconds heartbeat_interval{0};
  bool hybrid = false;
  // The model-free sampler: random or TPE (alone, or as the hybrid sampler's base).
  bool tpe = false;
  std::string method;
  int hyper_steps = 0;
  double hyper_lr = 0;
  std::int64_t greedy_horizon = 1;
  int whole_runs = 4;
};

// `data/digits.csv.gz` → "digits", `/usr/share/datasets/fashion-mnist` → "fashion-mnist".
std::string data_stem(const std::filesystem::path& data) {
  std::filesystem::path name = data.lexically_normal().filename();
  if (name.empty()) name = data.lexically_normal().parent_path().filename();
  if (name.extension() == ".gz") name = name.stem();
  return name.stem().string();
}

template <typename T>
std::optional<T> optional_option(const po::variables_map& options, const std::string& name) {
  return options.count(name) ? std::optional<T>(options[name].as<T>()) : std::nullopt;
}

// Everything about the request that can be checked without reading data or the database.
OptimizeRequest read_request(const po::variables_map& options) {
  OptimizeRequest request;
  request.task = options["task"].as<std::string>();
  const std::vector<std::string>& tasks = task_names();
  if (std::find(tasks.begin(), tasks.end(), request.task) == tasks.end()) {
    throw ValueError("--task must be ridge, logistic or mlp, got '" + request.task + "'");
  }
  const std::string sampler = options["sampler"].as<std::string>();
  if (sampler != "random" && sampler != "tpe" && sampler != "hybrid") {
    throw ValueError("--sampler must be random, tpe or hybrid, got '" + sampler + "'");
  }
  request.hybrid = sampler == "hybrid";
  const std::string base = options["base-sampler"].as<std::string>();
  if (base != "random" && base != "tpe") {
    throw ValueError("--base-sampler must be random or tpe, got '" + base + "'");
  }
  request.tpe = sampler == "tpe" || (request.hybrid && base == "tpe");
  if (!request.hybrid) {
    for (const char* hybrid_only : {"method", "hyper-steps", "hyper-lr", "greedy-horizon", "whole-runs", "base-sampler"}) {
      if (!options[hybrid_only].defaulted()) {
        throw ValueError(std::string("--") + hybrid_only + " applies to --sampler hybrid only");
      }
    }
  }
  request.method = options["method"].as<std::string>();
  const std::vector<std::string>& methods = hypergrad::method_names();
  if (std::find(methods.begin(), methods.end(), request.method) == methods.end()) {
    throw ValueError("--method must be t1t2, neumann, cg, drmad or unrolled, got '" + request.method + "'");
  }
  request.hyper_steps = options["hyper-steps"].as<int>();
  if (request.hyper_steps < 1) throw ValueError("--hyper-steps must be at least 1, got " + std::to_string(request.hyper_steps));
  request.hyper_lr = options["hyper-lr"].as<double>();
  if (!(request.hyper_lr > 0)) throw ValueError("--hyper-lr must be positive, got " + std::to_string(request.hyper_lr));
  request.greedy_horizon = options["greedy-horizon"].as<int>();
  if (request.greedy_horizon < 1)
    throw ValueError("--greedy-horizon must be at least 1, got " + std::to_string(request.greedy_horizon));
  request.whole_runs = options["whole-runs"].as<int>();
  if (request.whole_runs < 0)
    throw ValueError("--whole-runs must be at least 0, got " + std::to_string(request.whole_runs));
  request.data = options["data"].as<std::string>();
  request.target = optional_option<std::string>(options, "target");
  request.split.valid_fraction = options["valid-fraction"].as<double>();
  request.split.test_fraction = options["test-fraction"].as<double>();
  if (const auto max_rows = optional_option<long long>(options, "max-rows")) {
    if (*max_rows <= 0) throw ValueError("--max-rows must be positive, got " + std::to_string(*max_rows));
    request.split.max_rows = static_cast<std::size_t>(*max_rows);
  }
  request.split.seed = options["seed"].as<std::uint64_t>();
  request.training.seed = request.split.seed;
  request.training.epochs = options["epochs"].as<int>();
  request.training.batch_size = options["batch-size"].as<int>();
  if (request.training.epochs < 1) throw ValueError("--epochs must be at least 1");
  if (request.training.batch_size < 1) throw ValueError("--batch-size must be at least 1");
  request.n_trials = optional_option<int>(options, "n-trials");
  if (request.n_trials && *request.n_trials < 0) throw ValueError("--n-trials must not be negative");
  if (const auto seconds = optional_option<double>(options, "timeout")) {
    if (!(*seconds > 0)) throw ValueError("--timeout must be positive");
    request.timeout = std::chrono::duration<double>(*seconds);
  }
  if (!request.n_trials && !request.timeout) request.n_trials = 20;
  // At least 1 ms: the storage takes whole milliseconds, and 0 would mean heartbeats off.
  const double heartbeat_seconds = options["heartbeat-interval"].as<double>();
  if (!(heartbeat_seconds >= 0.001 && heartbeat_seconds <= 86400)) {
    throw ValueError("--heartbeat-interval must be between 0.001 and 86400 seconds, got " +
                     dump_json(Json(heartbeat_seconds)));
  }
  request.heartbeat_interval = std::chrono::milliseconds(std::llround(heartbeat_seconds * 1000));
  return request;
}

// Random search or TPE, or the hybrid search starting from either. The hybrid sampler
// spreads --hyper-steps over the trial's training steps and keeps tensors too large for
// params next to the database.
std::shared_ptr<Sampler> make_sampler(const OptimizeRequest& request, std::size_t n_train_rows,
                                      const Storage& storage) {
  std::shared_ptr<Sampler> base;
  if (request.tpe) base = std::make_shared<TPESampler>(TPESamplerOptions().seed(request.split.seed));
  else base = std::make_shared<RandomSampler>(request.split.seed);
  if (!request.hybrid) return base;
  const std::int64_t batches_per_epoch =
      (static_cast<std::int64_t>(n_train_rows) + request.training.batch_size - 1) / request.training.batch_size;
  const std::int64_t training_steps = batches_per_epoch * request.training.epochs;
  std::string tensor_dir;
  if (const auto* sqlite = dynamic_cast<const SqliteStorage*>(&storage)) {
    tensor_dir = std::filesystem::path(sqlite->path()).parent_path().string();
  }
  // Stationarity is checked twice as often as hyper-steps could be taken, so a deferred
  // step costs half an interval.
  const std::int64_t check_interval = std::max<std::int64_t>(1, training_steps / (2 * request.hyper_steps));
  return std::make_shared<HypergradientSampler>(
      HypergradientSamplerOptions()
          .method(hypergrad::method_options(request.method))
          .hyper_optimizer(hypergrad::HyperOptimizerOptions()
                               .inner_steps(check_interval)
                               .lr(request.hyper_lr)
                               .greedy_horizon(request.greedy_horizon)
                               .max_hyper_steps(request.hyper_steps))
          .whole_runs(request.whole_runs)
          .tensor_dir(tensor_dir)
          .seed(request.split.seed),
      base);
}

// The median rule over epochs, judged only after the first third of them: early
// validation losses of all trials are close together, and pruning on their noise would stop
// good trials. Hybrid trials are not pruned (HypergradientSamplerOptions::pruning_warmup_steps).
std::shared_ptr<Pruner> make_pruner(const OptimizeRequest& request) {
  return std::make_shared<MedianPruner>(
      PercentilePrunerOptions().n_startup_trials(5).n_warmup_steps(request.training.epochs / 3));
}

// Loads the study for this request, creating it on the first run; refuses a study that was
// made for another task or that maximizes.
Study open_optimize_study(const GlobalOptions& global, const OptimizeRequest& request, const std::string& name,
                          std::size_t n_train_rows) {
  const auto storage = open_cli_storage(global, MissingDatabase::Create,
                                        SqliteStorageOptions()
                                            .heartbeat_interval(request.heartbeat_interval)
                                            .failed_trial_callback(RetryFailedTrialCallback(kMaxRetry)));
  Study study = create_study(storage, StudyOptions()
                                          .study_name(name)
                                          .direction(StudyDirection::Minimize)
                                          .sampler(make_sampler(request, n_train_rows, *storage))
                                          .pruner(make_pruner(request))
                                          .load_if_exists(true));
  if (study.directions() != std::vector<StudyDirection>{StudyDirection::Minimize}) {
    throw ValueError("study '" + name + "' does not minimize a single objective; choose another --study-name");
  }
  const AttrMap attrs = study.user_attrs();
  if (const auto task = attrs.find("task"); task != attrs.end() && task->second != request.task) {
    throw ValueError("study '" + name + "' runs the task " + dump_json(task->second) + ", not '" + request.task +
                     "'; choose another --study-name");
  }
  if (!attrs.count("task")) {
    study.set_user_attr("task", request.task);
    study.set_user_attr("data", request.data.string());
  }
  return study;
}

std::optional<FrozenTrial> best_trial_if_any(const Study& study) {
  if (study.trials(std::vector<TrialState>{TrialState::Complete}).empty()) return std::nullopt;
  return study.best_trial();
}

void print_summary(const Study& study, const GlobalOptions& global, std::ostream& out) {
  const std::optional<FrozenTrial> best = best_trial_if_any(study);
  if (global.format_or(OutputFormat::Table) == OutputFormat::Json) {
    Record summary{{"study_name", study.study_name()}, {"storage", global.storage_url}};
    Json best_json = nullptr;
    if (best) {
      const Record record = trial_records({*best}, 1).front();
      best_json = Json::object();
      for (const auto& [name, value] : record) best_json[name] = value;
    }
    summary.emplace_back("best_trial", best_json);
    print_record(summary, OutputFormat::Json, out);
    return;
  }
  if (best) {
    out << "Best trial " << best->number << ": value " << dump_json(Json(best->value())) << '\n';
    std::size_t shown = 0;
    for (const auto& [name, value] : best->params) {
      if (shown++ == kParamsShown) {
        out << "  ... " << best->params.size() - kParamsShown << " more (see hpo best-trial)\n";
        break;
      }
      out << "  " << name << " = " << dump_json(value) << '\n';
    }
    for (const auto& [name, value] : best->user_attrs) out << "  [" << name << "] " << dump_json(value) << '\n';
  } else {
    out << "No trial has completed yet.\n";
  }
  out << "Study '" << study.study_name() << "' (" << study.trials().size() << " trials) is stored in "
      << global.storage_url << "\n";
}

int optimize_command(const Invocation& call) {
  const OptimizeRequest request = read_request(call.options);
  const std::string study_name = call.global.study_name.value_or(request.task + "-" + data_stem(request.data));
  const bool json = call.global.format_or(OutputFormat::Table) == OutputFormat::Json;
  std::ostream& report = json ? std::cerr : std::cout;  // keeps stdout parseable
  const bool chatty = call.console.verbosity() != Verbosity::Quiet;

  const Dataset data = load_dataset(request.data, request.target);
  const DataSplit split = split_dataset(data, request.split);
  const std::unique_ptr<Task> task = make_task(request.task, split, request.training);
  Study study = open_optimize_study(call.global, request, study_name, split.train.n_rows());

  if (chatty) {
    report << "Task " << request.task << " on " << request.data.string() << ": " << split.train.n_rows()
           << " training, " << split.valid.n_rows() << " validation, " << split.test.n_rows() << " test rows; "
           << data.n_features() << " features; target '" << data.target_name << "'\n"
           << "Objective (minimized): " << task->objective() << "\nTuning:\n";
    for (const std::string& line : task->hyperparameters()) report << "  " << line << '\n';
    const char* base = request.tpe ? "tpe" : "random";
    if (request.hybrid) {
      report << "Sampler: hybrid (" << base << " starts, ";
      // The mlp is the one task whose model is not convex (hypergrad::Problem::convex).
      if (request.task == "mlp" && request.whole_runs > 0) {
        report << "weight decays and learning rate refined by the hypergradients of up to " << request.whole_runs
               << " whole training runs per trial)\n";
      } else {
        report << "continuous loss hyperparameters refined by " << request.method << " hypergradients in up to "
               << request.hyper_steps << " hyper-steps per trial";
        if (request.whole_runs > 1 && hypergrad::make_method(hypergrad::method_options(request.method))->assumes_stationary_point())
          report << ", then across up to " << request.whole_runs - 1
                 << " whole training runs where training ends short of a stationary point";
        report << ")\n";
      }
    } else {
      report << "Sampler: " << base << "\n";
    }
    report << "Study '" << study.study_name() << "' in " << call.global.storage_url << ": "
           << study.trials().size() << " trials so far\n"
           << std::flush;
  }

  const std::optional<FrozenTrial> best_before = best_trial_if_any(study);
  Progress progress(report, !json && ::isatty(STDOUT_FILENO) != 0, call.console.verbosity(), request.n_trials,
                    request.timeout, best_before ? std::optional<double>(best_before->value()) : std::nullopt);
  OptimizeOptions options;
  options.n_trials(request.n_trials).timeout(request.timeout);
  options.catch_if([](const std::exception& error) { return dynamic_cast<const TrainingDiverged*>(&error) != nullptr; });
  options.callbacks({[&progress](Study& running, const FrozenTrial& trial) {
    progress.trial_finished(trial);
    if (interrupt_requested()) running.stop();
  }});

  catch_interrupts();
  try {
    study.optimize([&task](Trial& trial) { return task->run_trial(trial); }, options);
  } catch (const Interrupted&) {
    progress.finish();
    report << "Interrupted: the running trial is marked FAIL (interrupted).\n";
    print_summary(study, call.global, std::cout);
    throw;
  }
  progress.finish();
  if (interrupt_requested()) {
    report << "Interrupted between trials.\n";
    print_summary(study, call.global, std::cout);
    throw Interrupted();
  }
  print_summary(study, call.global, std::cout);
  return 0;
}

}  // namespace

std::vector<Command> optimize_commands() {
  return {{"optimize", kOptimizeSummary,
           [](po::options_description& options) {
             options.add_options()
                 ("task", po::value<std::string>()->required()->value_name("TASK"), "ridge, logistic or mlp")
                 ("data", po::value<std::string>()->required()->value_name("PATH"),
                  "CSV file with a header (.gz allowed) or folder of MNIST-style IDX files")
                 ("target", po::value<std::string>()->value_name("COLUMN"),
                  "the CSV column to predict (default: the last one)")
                 ("valid-fraction", po::value<double>()->default_value(0.2, "0.2")->value_name("F"),
                  "share of the rows held out to score each trial")
                 ("test-fraction", po::value<double>()->default_value(0.0, "0")->value_name("F"),
                  "share of the rows held out for the test_* metrics")
                 ("max-rows", po::value<long long>()->value_name("N"), "use only N randomly chosen rows")
                 ("sampler", po::value<std::string>()->default_value("random")->value_name("NAME"),
                  "random, tpe, or hybrid (starts from the base sampler refined by hypergradients)")
                 ("base-sampler", po::value<std::string>()->default_value("random")->value_name("NAME"),
                  "where the hybrid sampler's trials start: random or tpe")
                 ("method", po::value<std::string>()->default_value("cg")->value_name("NAME"),
                  "hypergradient method of the hybrid sampler: t1t2, neumann, cg, drmad, unrolled")
                 ("hyper-steps", po::value<int>()->default_value(20)->value_name("N"),
                  "at most N hyper-steps per trial, taken where training is stationary (hybrid sampler)")
                 ("hyper-lr", po::value<double>()->default_value(0.05, "0.05")->value_name("RATE"),
                  "hyper-step size as a share of each hyperparameter's (log) range (hybrid sampler)")
                 ("greedy-horizon", po::value<int>()->default_value(1)->value_name("N"),
                  "inner steps a hyper-step differentiates before training is first stationary: 1 = T1-T2, "
                  "more = DrMAD through the last N steps of the run so far (hybrid sampler)")
                 ("whole-runs", po::value<int>()->default_value(4)->value_name("N"),
                  "training runs per trial of the mlp task, each with its params frozen, moved between runs "
                  "on the hypergradient of the whole run; 0 = refine during one run. The other tasks' trials "
                  "go on so after a run that --method cg or neumann refined short of a stationary point "
                  "(hybrid sampler)")
                 ("n-trials", po::value<int>()->value_name("N"),
                  "trials to add (default: 20 unless --timeout is given)")
                 ("timeout", po::value<double>()->value_name("SECONDS"), "start no new trial after this long")
                 ("seed", po::value<std::uint64_t>()->default_value(0)->value_name("S"),
                  "seeds the split, the sampler and the training")
                 ("epochs", po::value<int>()->default_value(20)->value_name("N"), "training epochs per trial")
                 ("batch-size", po::value<int>()->default_value(64)->value_name("N"),
                  "minibatch size (at least the training rows: full-batch training)")
                 ("heartbeat-interval", po::value<double>()->default_value(kDefaultHeartbeatSeconds, "30")
                                            ->value_name("SECONDS"),
                  "advanced: how often a running trial records that it is alive; a trial left RUNNING "
                  "by a killed run is failed after two intervals and retried (at most 3 times) by the "
                  "next run on the study");
           },
           optimize_command}};
}

}  // namespace hpo::cli
