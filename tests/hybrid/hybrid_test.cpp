#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <fstream>
#include <functional>

#include "hpo/error.hpp"
#include "hpo/hybrid/hyper_trial.hpp"
#include "hpo/hybrid/hypergradient_sampler.hpp"
#include "hpo/hypergrad/errors.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"

namespace hpo {
namespace {

// Ridge regression where only the first features carry signal: a per-feature L2 penalty
// should grow on the noise features. float64 throughout.
struct RidgeData {
  torch::Tensor x_train, y_train, x_valid, y_valid;
};

RidgeData make_data(double noise) {
  torch::manual_seed(0);
  const int64_t n = 60, d = 8;
  auto x = torch::randn({2 * n, d}, torch::kFloat64);
  auto w_true = torch::zeros({d}, torch::kFloat64);
  w_true.slice(0, 0, 3) = torch::tensor({2.0, -1.0, 0.5}, torch::kFloat64);
  auto y = x.mv(w_true) + noise * torch::randn({2 * n}, torch::kFloat64);
  return {x.slice(0, 0, n), y.slice(0, 0, n), x.slice(0, n), y.slice(0, n)};
}

const RidgeData& data() {
  static const RidgeData d = make_data(0.5);
  return d;
}

// So noisy that the best global penalty is large: the hypergradient of a start far below
// it is small but not lost in the inner problem's residual error.
const RidgeData& noisy_data() {
  static const RidgeData d = make_data(4.0);
  return d;
}

// The validation loss of ridge with per-feature penalties λ in closed form:
// w* = (A + diag λ)⁻¹ b, A = XᵀX/n, b = Xᵀy/n.
double closed_form_validation_loss(const torch::Tensor& lambda, const RidgeData& d = data()) {
  const double n = static_cast<double>(d.x_train.size(0));
  auto a = d.x_train.t().mm(d.x_train) / n, b = d.x_train.t().mv(d.y_train) / n;
  auto w = torch::linalg::solve(a + torch::diag(lambda.expand({d.x_train.size(1)})), b.unsqueeze(1), true).squeeze(1);
  return 0.5 * (d.x_valid.mv(w) - d.y_valid).pow(2).mean().item<double>();
}

struct ObjectiveOptions {
  int steps = 1000;
  // From this training step on the validation loss is NaN (to test failure handling).
  int nan_from_step = -1;
  // 0: one global penalty; n: one per feature.
  std::int64_t size = 8;
  std::optional<torch::Dtype> hyperparameter_dtype = torch::kFloat64;
  torch::Dtype model_dtype = torch::kFloat64;
  const RidgeData* data = &hpo::data();
  // Declared to the HyperOptimizer (hypergrad::Problem::convex): the ridge is convex.
  bool convex = true;
  // Rows of each mini-batch, taken in turn; 0: every step sees the full training set.
  int64_t batch_rows = 0;
  // Set to HyperTrial::value_needs_retraining() after value().
  bool* value_needs_retraining = nullptr;
  // Set to the penalty's values after value().
  std::vector<double>* penalty_after_value = nullptr;
  // Start every run from weights drawn by torch::randn (seeded by the trial number) rather
  // than zeros, and append each run's initial weights here.
  std::vector<torch::Tensor>* initial_weights = nullptr;
  // SGD's learning rate: 0.1, or suggested as the hyperparameter "lr" in [1e-3, 0.5].
  bool suggest_learning_rate = false;
  // Replaces the validation loss of run `run` (1-based), given it and the penalty.
  std::function<torch::Tensor(const torch::Tensor&, const hypergrad::Hyperparameter&, int run)> spoil_validation;
  // Called after training run `run`.
  std::function<void(HyperTrial&, int run)> after_run;
};

// The loop the README teaches: runs of full-batch SGD with momentum while next_round()
// asks for them, hyper.value() at the end.
double ridge_objective(Trial& trial, const ObjectiveOptions& o = {}) {
  const RidgeData& d = *o.data;
  HyperTrial hyper(trial);
  HyperparameterOptions penalty_options = HyperparameterOptions().log(true).size(o.size);
  if (o.hyperparameter_dtype) penalty_options.dtype(*o.hyperparameter_dtype);
  auto penalty = hyper.suggest_hyperparameter("l2", 1e-6, 1.0, penalty_options);
  auto x_train = d.x_train.to(o.model_dtype), y_train = d.y_train.to(o.model_dtype);
  auto x_valid = d.x_valid.to(o.model_dtype), y_valid = d.y_valid.to(o.model_dtype);
  torch::Tensor w;
  int step = 0, run = 0;
  auto train_loss = [&](const hypergrad::Batch& rows) {
    auto r = rows.empty() ? x_train.mv(w) - y_train : x_train.index_select(0, rows[0]).mv(w) - y_train.index_select(0, rows[0]);
    return 0.5 * r.pow(2).mean() + 0.5 * (penalty.value() * w * w).sum();
  };
  auto val_loss = [&] {
    auto r = x_valid.mv(w) - y_valid;
    auto loss = 0.5 * r.pow(2).mean();
    if (o.spoil_validation) return o.spoil_validation(loss, penalty, run);
    return o.nan_from_step >= 0 && step >= o.nan_from_step ? loss * std::nan("") : loss;
  };
  const double learning_rate = o.suggest_learning_rate ? hyper.suggest_learning_rate("lr", 1e-3, 0.5) : 0.1;
  torch::manual_seed(static_cast<std::uint64_t>(trial.number()));
  while (hyper.next_round()) {
    ++run;
    w = o.initial_weights ? torch::randn({d.x_train.size(1)}, o.model_dtype) : torch::zeros({d.x_train.size(1)}, o.model_dtype);
    if (o.initial_weights) o.initial_weights->push_back(w.clone());
    w.requires_grad_();
    auto sgd = std::make_shared<torch::optim::SGD>(std::vector<torch::Tensor>{w},
                                                   torch::optim::SGDOptions(learning_rate).momentum(0.9));
    auto& opt = hyper.make_optimizer({{}, {}, train_loss, val_loss, o.convex}, sgd);
    const int64_t n = d.x_train.size(0);
    for (step = 0; step < o.steps; ++step) {
      if (o.batch_rows == 0) {
        opt.step();
      } else {
        const int64_t first = step * o.batch_rows % n;
        opt.step({torch::arange(first, first + o.batch_rows) % n});
      }
    }
    if (o.after_run) o.after_run(hyper, run);
  }
  const double value = hyper.value();
  if (o.value_needs_retraining) *o.value_needs_retraining = hyper.value_needs_retraining();
  if (o.penalty_after_value) *o.penalty_after_value = penalty.values();
  return value;
}

// The one-penalty ridge on the noisy data, not declared convex: refined across whole runs.
ObjectiveOptions whole_run_ridge(int steps) {
  ObjectiveOptions options;
  options.size = 0;
  options.steps = steps;
  options.data = &noisy_data();
  options.convex = false;
  return options;
}

// One trial of ridge_objective from l2 = `start` under the default hybrid sampler: the
// trial, its record and its runs' validation losses (empty, after a test failure, unless
// it completed).
struct WholeRunTrial {
  FrozenTrial trial;
  Json record;
  std::vector<double> runs;
};
WholeRunTrial one_whole_run_trial(double start, const ObjectiveOptions& options) {
  Study study = create_study(open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>()));
  study.enqueue_trial({{"l2", start}});
  study.optimize([&](Trial& t) { return ridge_objective(t, options); }, OptimizeOptions().n_trials(1));
  WholeRunTrial result{study.trials().at(0), {}, {}};
  EXPECT_EQ(result.trial.state, TrialState::Complete) << dump_json(Json(result.trial.system_attrs));
  if (result.trial.state != TrialState::Complete) return result;
  result.record = result.trial.system_attrs.at("hypergrad");
  result.runs = result.record.at("whole_runs").get<std::vector<double>>();
  return result;
}

HypergradientSamplerOptions sampler_options(std::uint64_t seed) {
  return HypergradientSamplerOptions().n_startup_trials(3).seed(seed);
}

torch::Tensor stored_penalties(const FrozenTrial& t, std::int64_t size) {
  std::vector<double> values;
  if (size == 0) values.push_back(t.params.at("l2").get<double>());
  for (std::int64_t i = 0; i < size; ++i) values.push_back(t.params.at("l2[" + std::to_string(i) + "]").get<double>());
  return torch::tensor(values, torch::kFloat64);
}

Study hybrid_study(std::shared_ptr<Storage> storage, std::uint64_t seed,
                   std::shared_ptr<Pruner> pruner = std::make_shared<NopPruner>()) {
  return create_study(std::move(storage), StudyOptions()
                                              .study_name("hybrid")
                                              .sampler(std::make_shared<HypergradientSampler>(sampler_options(seed)))
                                              .pruner(std::move(pruner))
                                              .load_if_exists(true));
}

std::string temp_db(const std::string& name) {
  std::string path = ::testing::TempDir() + name;
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return path;
}

TEST(Hybrid, RefinementLowersTheValidationLossOfTheInitialValues) {
  Study hybrid = hybrid_study(open_storage(), 1);
  hybrid.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(4));
  // The same initial values, held fixed by a random-search study.
  Study fixed = create_study(open_storage(), StudyOptions().study_name("fixed"));
  int improved = 0;
  for (const auto& t : hybrid.trials()) {
    ASSERT_EQ(t.state, TrialState::Complete);
    const Json& record = t.system_attrs.at("hypergrad");
    EXPECT_EQ(record.at("method"), "cg");
    const int hyper_steps = record.at("hyper_steps");
    EXPECT_GE(hyper_steps, 5);
    EXPECT_EQ(record.at("hypergradient_norms").size(), static_cast<std::size_t>(hyper_steps));
    EXPECT_EQ(t.intermediate_values.size(), static_cast<std::size_t>(hyper_steps));
    EXPECT_GT(record.at("greedy_steps").get<int>(), 0) << "training from w = 0 is not stationary at once";
    EXPECT_LT(record.at("greedy_steps").get<int>(), hyper_steps) << "and later it is";
    ParamMap initial;
    for (const auto& [name, value] : record.at("initial_params").items()) initial[name] = value;
    ASSERT_EQ(initial.size(), 8u);
    int moved = 0;
    for (const auto& [name, value] : initial) moved += value != t.params.at(name);
    EXPECT_GT(moved, 0) << "params hold the refined values";
    fixed.enqueue_trial(initial);
    fixed.optimize([](Trial& f) { return ridge_objective(f); }, OptimizeOptions().n_trials(1));
    double initial_loss = fixed.trials().back().value();
    improved += t.value() < initial_loss;
    EXPECT_LT(t.value(), initial_loss + 1e-9) << "trial " << t.number;
  }
  EXPECT_EQ(improved, 4);
  EXPECT_FALSE(fixed.trials().back().system_attrs.count("hypergrad")) << "no refinement without the hybrid sampler";
}

// Honest trials: the value is what the stored params give when trained to convergence.
// Also on labels so noisy that a model stopped short of w*(λ) validates better than the
// converged one: a point on the way, where the HOAG schedule's early, loose tolerance
// already allows a hyper-step, must not become the trial's value.
TEST(Hybrid, StoredValueIsTheValidationLossOfTheStoredParams) {
  for (const RidgeData* d : {&data(), &noisy_data()}) {
    ObjectiveOptions options;
    options.data = d;
    options.steps = 2000;
    Study study = hybrid_study(open_storage(), 11);
    study.optimize([&](Trial& t) { return ridge_objective(t, options); }, OptimizeOptions().n_trials(6));
    for (const auto& t : study.trials()) {
      ASSERT_EQ(t.state, TrialState::Complete);
      const double retrained = closed_form_validation_loss(stored_penalties(t, 8), *d);
      EXPECT_NEAR(t.value(), retrained, 1e-3 * retrained) << "trial " << t.number << dump_json(Json(t.system_attrs));
      EXPECT_TRUE(t.system_attrs.at("hypergrad").contains("trajectory_value"));
    }
  }
}

// Thirty steps never make the ridge stationary, so its value comes from weights trained
// while λ moved by greedy steps: value_needs_retraining() says so. A converged loop's value
// needs no re-training where the problem is declared convex (one w*(λ) whatever path λ
// took) and trained on full batches, and does where it is not convex or its converged
// point is a mini-batch draw; a value with the suggested λ held fixed (random search)
// never does. After value() the penalty holds the stored params, also where
// hyper-steps after the converged point moved it on.
TEST(Hybrid, ValueNeedsRetrainingWhereLambdaMovedUnlessAConvexProblemConverged) {
  struct Case {
    int steps;
    bool convex;
    int64_t batch_rows;
    bool needs_retraining;
  };
  // whole_runs(0): a problem not declared convex refines during one run too.
  for (const Case c : {Case{30, true, 0, true}, Case{2000, true, 0, false}, Case{2000, false, 0, true},
                       Case{2000, true, 20, true}}) {
    const std::string name = std::to_string(c.steps) + (c.convex ? " steps, convex" : " steps, not declared convex") +
                             (c.batch_rows ? ", mini-batches" : "");
    bool needs_retraining = !c.needs_retraining;
    std::vector<double> penalty;
    ObjectiveOptions options;
    options.steps = c.steps;
    options.convex = c.convex;
    options.batch_rows = c.batch_rows;
    options.value_needs_retraining = &needs_retraining;
    options.penalty_after_value = &penalty;
    Study study = create_study(open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>(
                                                   sampler_options(3).whole_runs(0))));
    study.optimize([&](Trial& t) { return ridge_objective(t, options); }, OptimizeOptions().n_trials(1));
    const FrozenTrial t = study.trials().at(0);
    ASSERT_EQ(t.state, TrialState::Complete) << dump_json(Json(t.system_attrs));
    const Json& record = t.system_attrs.at("hypergrad");
    EXPECT_GT(record.at("hyper_steps").get<int>(), 0) << name;
    EXPECT_EQ(record.contains("stationary_point"), c.steps == 2000) << name;
    EXPECT_EQ(record.at("mini_batches").get<bool>(), c.batch_rows > 0) << name;
    EXPECT_EQ(needs_retraining, c.needs_retraining) << name;
    if (c.steps == 2000) {
      EXPECT_LT(record.at("stationary_point").at("hyper_step").get<int>(), record.at("hyper_steps").get<int>())
          << name << ": hyper-steps after the point";
    }
    ASSERT_EQ(penalty.size(), 8u);
    for (std::size_t i = 0; i < penalty.size(); ++i) {
      EXPECT_NEAR(penalty[i], t.params.at("l2[" + std::to_string(i) + "]").get<double>(), 1e-12) << name << " " << i;
    }
  }
  bool needs_retraining = true;
  ObjectiveOptions options;
  options.steps = 30;
  options.value_needs_retraining = &needs_retraining;
  Study fixed = create_study(open_storage(), StudyOptions().study_name("fixed"));
  fixed.optimize([&](Trial& t) { return ridge_objective(t, options); }, OptimizeOptions().n_trials(1));
  EXPECT_FALSE(needs_retraining);
}

// A start 8 units of ln λ below the best global penalty moves most of the way to it
// within one trial, with every default of the library.
TEST(Hybrid, AFarStartMovesTowardsTheOptimum) {
  double best_log = 0, best_loss = INFINITY;
  for (double log_lambda = -13.8; log_lambda <= 0; log_lambda += 0.05) {
    const double loss = closed_form_validation_loss(torch::tensor(std::exp(log_lambda), torch::kFloat64), noisy_data());
    if (loss < best_loss) best_loss = loss, best_log = log_lambda;
  }
  ASSERT_GT(best_log, -13.8 + 8) << "the optimum lies inside the box";
  Study study = create_study(open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>()));
  study.enqueue_trial({{"l2", std::exp(best_log - 8)}});
  ObjectiveOptions scalar;
  scalar.size = 0;
  scalar.steps = 2000;
  scalar.data = &noisy_data();
  study.optimize([&](Trial& t) { return ridge_objective(t, scalar); }, OptimizeOptions().n_trials(1));
  const FrozenTrial t = study.trials().at(0);
  ASSERT_EQ(t.state, TrialState::Complete) << dump_json(Json(t.system_attrs));
  const double reached = std::log(t.params.at("l2").get<double>());
  EXPECT_LT(std::abs(reached - best_log), 2.0) << "from " << best_log - 8 << " to " << reached << ", optimum " << best_log << dump_json(Json(t.system_attrs));
  EXPECT_NEAR(t.value(), best_loss, 0.05 * best_loss);
  EXPECT_DOUBLE_EQ(t.system_attrs.at("fixed_params").at("l2").get<double>(), std::exp(best_log - 8))
      << "the enqueued start is kept beside the refined params";
}

// A problem not declared convex is refined across whole runs: each run trains with λ
// frozen from the same random initial weights (the generator is put back), its whole run is
// differentiated, and λ moves between runs. From 8 units of ln λ below the optimum the
// default four runs move most of the way, the value is the best run's, and a model trained
// anew with the stored params gives exactly that value.
TEST(Hybrid, WholeRunsMoveAFarStartTowardsTheOptimumWithHonestValues) {
  double best_log = 0, best_loss = INFINITY;
  for (double log_lambda = -13.8; log_lambda <= 0; log_lambda += 0.05) {
    const double loss = closed_form_validation_loss(torch::tensor(std::exp(log_lambda), torch::kFloat64), noisy_data());
    if (loss < best_loss) best_loss = loss, best_log = log_lambda;
  }
  const double start = best_log - 8;
  std::vector<torch::Tensor> initial_weights;
  ObjectiveOptions options = whole_run_ridge(500);
  options.initial_weights = &initial_weights;
  const auto [t, record, runs] = one_whole_run_trial(std::exp(start), options);
  ASSERT_EQ(runs.size(), 4u) << dump_json(record);
  ASSERT_EQ(initial_weights.size(), 4u);
  for (const torch::Tensor& w : initial_weights) EXPECT_TRUE(torch::equal(w, initial_weights[0])) << "same start every run";
  EXPECT_EQ(record.at("hyper_steps").get<int>(), 0) << "λ stays frozen during a run";
  EXPECT_DOUBLE_EQ(t.value(), *std::min_element(runs.begin(), runs.end()));
  EXPECT_LT(t.value(), runs[0] - 0.01) << dump_json(record);
  const double reached = std::log(t.params.at("l2").get<double>());
  EXPECT_LT(std::abs(reached - best_log), 3.0) << "from " << start << " to " << reached << ", optimum " << best_log;

  options.initial_weights = nullptr;
  Study retraining = create_study(open_storage(), StudyOptions().sampler(std::make_shared<RandomSampler>(1)));
  retraining.enqueue_trial(t.params);
  std::vector<torch::Tensor> retraining_weights;
  options.initial_weights = &retraining_weights;
  retraining.optimize([&](Trial& r) { return ridge_objective(r, options); }, OptimizeOptions().n_trials(1));
  EXPECT_DOUBLE_EQ(retraining.trials().at(0).value(), t.value()) << "the stored value is the stored params'";
}

// A convex problem whose loop stops short of a stationary point: the first run moved λ by
// greedy hyper-steps, and the trial goes on across whole runs from the λ it reached, four
// runs in all. The first whole run re-trains that λ frozen; the value is the best whole
// run's, better than that re-training, and what a model trained anew with the stored
// params gives exactly.
TEST(Hybrid, AnUnconvergedRunOfAConvexProblemGoesOnAcrossWholeRuns) {
  ObjectiveOptions options = whole_run_ridge(100);
  options.convex = true;
  bool needs_retraining = true;
  options.value_needs_retraining = &needs_retraining;
  const auto [t, record, runs] = one_whole_run_trial(1e-5, options);
  ASSERT_TRUE(record.contains("first_run")) << dump_json(record);
  EXPECT_GT(record.at("first_run").at("greedy_steps").get<int>(), 0) << dump_json(record);
  EXPECT_EQ(record.at("first_run").at("method"), "cg");
  EXPECT_FALSE(record.contains("stationary_point"));
  ASSERT_EQ(runs.size(), 3u) << dump_json(record);
  EXPECT_DOUBLE_EQ(t.value(), *std::min_element(runs.begin(), runs.end()));
  EXPECT_LT(t.value(), runs[0] - 0.01) << dump_json(record);
  EXPECT_FALSE(needs_retraining) << "every whole run trains with λ frozen";

  Study retraining = create_study(open_storage(), StudyOptions().sampler(std::make_shared<RandomSampler>(1)));
  retraining.enqueue_trial(t.params);
  retraining.optimize([&](Trial& r) { return ridge_objective(r, options); }, OptimizeOptions().n_trials(1));
  EXPECT_DOUBLE_EQ(retraining.trials().at(0).value(), t.value()) << "the stored value is the stored params'";
}

// Training puts w at λ, and the validation loss (w − 1.5)² is a parabola in λ. The first
// step from λ = 1 (a quarter of the box [0, 10]) overshoots to 3.5; the next step is cut to
// the minimum of the parabola through the start's value and slope and the overshoot's
// value, which here is the optimum itself (halving would have met 2.25, worse than the start).
TEST(Hybrid, AfterAnOvershootTheNextWholeRunGoesToTheInterpolatedMinimum) {
  Study study = create_study(open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>()));
  study.enqueue_trial({{"target", 1.0}});
  std::vector<double> targets;
  study.optimize(
      [&](Trial& trial) {
        HyperTrial hyper(trial);
        auto target = hyper.suggest_hyperparameter("target", 0.0, 10.0);
        torch::Tensor w;
        auto train_loss = [&](const hypergrad::Batch&) { return 0.5 * (w - target.value()).pow(2).sum(); };
        auto val_loss = [&] { return (w - 1.5).pow(2).sum(); };
        while (hyper.next_round()) {
          targets.push_back(target.values()[0]);
          w = torch::zeros({1}, torch::kFloat64).requires_grad_();
          auto sgd = std::make_shared<torch::optim::SGD>(std::vector<torch::Tensor>{w}, torch::optim::SGDOptions(0.5));
          auto& opt = hyper.make_optimizer({{}, {}, train_loss, val_loss}, sgd);
          for (int step = 0; step < 100; ++step) opt.step();
        }
        return hyper.value();
      },
      OptimizeOptions().n_trials(1));
  ASSERT_GE(targets.size(), 3u);
  EXPECT_NEAR(targets[1], 3.5, 1e-6);
  EXPECT_NEAR(targets[2], 1.5, 1e-6);
  EXPECT_NEAR(study.trials().at(0).value(), 0.0, 1e-9);
}

// A later run that fails — its loop gave up (fail_run) or its validation loss is NaN —
// ranks below every run, is not differentiated, and the trial goes on from its best run.
// The first run has nothing to fall back on: fail_run() refuses it.
TEST(Hybrid, AFailedLaterRunRanksBelowEveryRunAndTheTrialGoesOn) {
  std::string first_run_error;
  ObjectiveOptions options = whole_run_ridge(200);
  options.spoil_validation = [](const torch::Tensor& loss, const hypergrad::Hyperparameter&, int run) {
    return run == 3 ? loss * std::nan("") : loss;
  };
  options.after_run = [&](HyperTrial& hyper, int run) {
    if (run == 1) {
      try {
        hyper.fail_run();
      } catch (const ValueError& e) {
        first_run_error = e.what();
      }
    }
    if (run == 2) hyper.fail_run();
  };
  const auto [t, record, runs] = one_whole_run_trial(1e-4, options);
  EXPECT_NE(first_run_error.find("its first run"), std::string::npos) << first_run_error;
  ASSERT_EQ(runs.size(), 4u) << dump_json(record);
  EXPECT_TRUE(std::isinf(runs[1]) && std::isinf(runs[2])) << dump_json(record);
  EXPECT_DOUBLE_EQ(t.value(), std::min(runs[0], runs[3]));
  EXPECT_EQ(record.at("hypergradient_norms").size(), 1u) << "only the first run was differentiated (the last never is)";
}

// A run whose hypergradient overflows (here: the validation loss gains a term of value 0
// and infinite derivative in λ) keeps its value, which is honest; as the best run it gives
// no direction, so the search ends there and says why.
TEST(Hybrid, AWholeRunWhoseHypergradientOverflowsEndsTheSearchWithItsValue) {
  ObjectiveOptions options = whole_run_ridge(500);
  options.spoil_validation = [](const torch::Tensor& loss, const hypergrad::Hyperparameter& penalty, int run) {
    const torch::Tensor lambda = penalty.value();
    return run == 2 ? loss + torch::sqrt(lambda - lambda.detach()) : loss;
  };
  const auto [t, record, runs] = one_whole_run_trial(1e-5, options);
  ASSERT_EQ(runs.size(), 2u) << dump_json(record);
  EXPECT_LT(runs[1], runs[0]);
  EXPECT_DOUBLE_EQ(t.value(), runs[1]);
  EXPECT_NE(record.value("whole_runs_stopped", "").find("not finite"), std::string::npos) << dump_json(record);
}

// A learning rate too small for the loop to converge: the whole runs raise it, and the
// value beats the first run. An implicit method cannot differentiate it (w* does not depend
// on it): on the problem declared convex, refined during its one run, it keeps its
// suggested value and the trial completes.
TEST(Hybrid, WholeRunsRefineTheLearningRateThatImplicitMethodsKeep) {
  for (bool convex : {false, true}) {
    // Refined during its one run only (whole_runs(0)), the unconverged convex problem
    // does not go on across whole runs.
    Study study = create_study(open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>(
                                                   HypergradientSamplerOptions().whole_runs(convex ? 0 : 4))));
    study.enqueue_trial({{"l2", 1e-2}, {"lr", 2e-3}});
    ObjectiveOptions options;
    options.size = 0;
    options.steps = 100;
    options.convex = convex;
    options.suggest_learning_rate = true;
    study.optimize([&](Trial& t) { return ridge_objective(t, options); }, OptimizeOptions().n_trials(1));
    const FrozenTrial t = study.trials().at(0);
    ASSERT_EQ(t.state, TrialState::Complete) << dump_json(Json(t.system_attrs));
    const Json& record = t.system_attrs.at("hypergrad");
    if (convex) {
      EXPECT_EQ(t.params.at("lr").get<double>(), 2e-3) << dump_json(record);
      continue;
    }
    const std::vector<double> runs = record.at("whole_runs").get<std::vector<double>>();
    EXPECT_GT(t.params.at("lr").get<double>(), 2e-3 * std::exp(1.0)) << dump_json(record);
    EXPECT_LT(t.value(), runs.at(0) - 0.04) << dump_json(record);
  }
}

// A network that overfits 40 noisy rows unless its weight decay is large (validation loss
// 1.40 at decay 1e-5, 0.83 at 1e-2, 0.58 at 0.3): the whole runs move both layers' decay up
// from 1e-5, the way that validates better, and the trial's value beats its first run.
// Refined during one run instead (whole_runs(0)), the next steps' hypergradient pushed an
// overfitting MLP's decay down (README, fashion-mlp-overfit).
TEST(Hybrid, WholeRunsRaiseTheWeightDecayOfANetworkThatOverfits) {
  torch::manual_seed(0);
  const int64_t features = 20, hidden = 64;
  const torch::Tensor truth = torch::randn({features});
  auto rows = [&](int64_t n) {
    torch::Tensor x = torch::randn({n, features});
    return std::pair{x, (x.mv(truth) + 1.5 * torch::randn({n})).gt(0).to(torch::kLong)};
  };
  const auto [x_train, y_train] = rows(40);
  const auto [x_valid, y_valid] = rows(200);
  Study study = create_study(open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>()));
  study.enqueue_trial({{"decay[0]", 1e-5}, {"decay[1]", 1e-5}});
  study.optimize(
      [&](Trial& trial) {
        HyperTrial hyper(trial);
        auto decay = hyper.suggest_hyperparameter("decay", 1e-6, 1.0, HyperparameterOptions().log(true).size(2));
        std::vector<torch::Tensor> w;
        auto logits = [&](const torch::Tensor& x) { return torch::relu(x.mm(w[0].t()) + w[1]).mm(w[2].t()) + w[3]; };
        auto train_loss = [&](const hypergrad::Batch&) {
          const torch::Tensor d = decay.value();
          return torch::cross_entropy_loss(logits(x_train), y_train) +
                 0.5 * (d[0] * w[0].pow(2).sum() + d[1] * w[2].pow(2).sum());
        };
        auto val_loss = [&] { return torch::cross_entropy_loss(logits(x_valid), y_valid); };
        while (hyper.next_round()) {
          w = {(torch::rand({hidden, features}) * 2 - 1) / std::sqrt(static_cast<double>(features)),
               torch::zeros({hidden}), (torch::rand({2, hidden}) * 2 - 1) / 8.0, torch::zeros({2})};
          for (torch::Tensor& t : w) t.requires_grad_();
          auto sgd = std::make_shared<torch::optim::SGD>(w, torch::optim::SGDOptions(0.1).momentum(0.9));
          auto& opt = hyper.make_optimizer({w, {}, train_loss, val_loss}, sgd);
          for (int step = 0; step < 300; ++step) opt.step();
        }
        return hyper.value();
      },
      OptimizeOptions().n_trials(1));
  const FrozenTrial t = study.trials().at(0);
  ASSERT_EQ(t.state, TrialState::Complete) << dump_json(Json(t.system_attrs));
  const Json& record = t.system_attrs.at("hypergrad");
  ASSERT_TRUE(record.contains("whole_runs")) << dump_json(record);
  const std::vector<double> runs = record.at("whole_runs").get<std::vector<double>>();
  EXPECT_LT(t.value(), runs.at(0) - 0.2) << dump_json(record);
  for (const char* layer : {"decay[0]", "decay[1]"}) {
    EXPECT_GT(t.params.at(layer).get<double>(), 1e-5 * std::exp(2.0)) << layer << " " << dump_json(Json(t.params));
  }
}

// Whole runs differentiate SGD's update; another inner optimizer on a problem not
// declared convex is an error that says what to do, not a hypergradient of the wrong update.
TEST(Hybrid, WholeRunsNeedSgd) {
  Study study = create_study(open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>()));
  std::string message;
  study.optimize(
      [&](Trial& trial) {
        HyperTrial hyper(trial);
        auto penalty = hyper.suggest_hyperparameter("l2", 1e-6, 1.0, HyperparameterOptions().log(true));
        auto w = torch::zeros({data().x_train.size(1)}, torch::kFloat64).requires_grad_();
        auto train_loss = [&](const hypergrad::Batch&) { return (w * w).sum() * penalty.value(); };
        auto val_loss = [&] { return w.sum(); };
        auto adam = std::make_shared<torch::optim::Adam>(std::vector<torch::Tensor>{w});
        try {
          hyper.make_optimizer({{}, {}, train_loss, val_loss}, adam);
        } catch (const ValueError& e) {
          message = e.what();
        }
        return 0.0;
      },
      OptimizeOptions().n_trials(1));
  EXPECT_NE(message.find("whole runs, which differentiate the update of torch::optim::SGD"), std::string::npos)
      << message;
  EXPECT_NE(message.find("whole_runs(0)"), std::string::npos) << message;
}

// A sampler that wraps the hybrid sampler (logging, say) and forwards everything. Only
// when it also forwards refinement() do its trials refine.
class WrappingSampler : public Sampler {
 public:
  WrappingSampler(std::shared_ptr<Sampler> inner, bool forward_refinement)
      : inner_(std::move(inner)), forward_refinement_(forward_refinement) {}
  SearchSpace infer_relative_search_space(const Study& study, const FrozenTrial& trial) override {
    return inner_->infer_relative_search_space(study, trial);
  }
  std::map<std::string, double> sample_relative(const Study& study, const FrozenTrial& trial,
                                                const SearchSpace& search_space) override {
    return inner_->sample_relative(study, trial, search_space);
  }
  double sample_independent(const Study& study, const FrozenTrial& trial, const std::string& param_name,
                            const Distribution& distribution) override {
    return inner_->sample_independent(study, trial, param_name, distribution);
  }
  void before_trial(Study& study, const FrozenTrial& trial) override { inner_->before_trial(study, trial); }
  void after_trial(Study& study, const FrozenTrial& trial, TrialState state,
                   const std::optional<std::vector<double>>& values) override {
    inner_->after_trial(study, trial, state, values);
  }
  const HypergradientSamplerOptions* refinement() const override {
    return forward_refinement_ ? inner_->refinement() : nullptr;
  }

 private:
  std::shared_ptr<Sampler> inner_;
  bool forward_refinement_;
};

TEST(Hybrid, AWrappedHybridSamplerRefinesThroughTheForwardedHook) {
  for (bool forward : {true, false}) {
    auto wrapped = std::make_shared<WrappingSampler>(std::make_shared<HypergradientSampler>(sampler_options(4)), forward);
    Study study = create_study(open_storage(), StudyOptions().sampler(wrapped).pruner(std::make_shared<NopPruner>()));
    study.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(1));
    const FrozenTrial t = study.trials().at(0);
    ASSERT_EQ(t.state, TrialState::Complete);
    EXPECT_EQ(t.system_attrs.count("hypergrad"), forward ? 1u : 0u) << "forwarded: " << forward;
    if (forward) {
      EXPECT_GT(t.system_attrs.at("hypergrad").at("hyper_steps").get<int>(), 0);
    }
  }
}

TEST(Hybrid, HyperparametersFollowTheModelsDtypeUnlessGiven) {
  Study study = create_study(open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>()));
  for (torch::Dtype model : {torch::kFloat64, torch::kFloat32}) {
    Trial trial = study.ask();
    HyperTrial hyper(trial);
    auto follows = hyper.suggest_hyperparameter("follows", 1e-3, 1.0, HyperparameterOptions().log(true));
    auto given = hyper.suggest_hyperparameter("given", 1e-3, 1.0, HyperparameterOptions().dtype(torch::kFloat32));
    auto w = torch::zeros({3}, model).requires_grad_();
    auto loss = [&](const hypergrad::Batch&) { return (w - 1).pow(2).sum() * follows.value() * given.value(); };
    hyper.make_optimizer({{}, {}, loss, [&] { return w.sum(); }},
                         std::make_shared<torch::optim::SGD>(std::vector<torch::Tensor>{w}, 0.1));
    EXPECT_EQ(follows.theta().scalar_type(), model);
    EXPECT_EQ(given.theta().scalar_type(), torch::kFloat32);
  }
}

TEST(Hybrid, StoredParamsLieInsideTheirDistributions) {
  Study study = hybrid_study(open_storage(), 2);
  study.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(8));
  for (const auto& t : study.trials())
    for (const auto& [name, value] : t.params)
      EXPECT_TRUE(contains(t.distributions.at(name), to_internal(t.distributions.at(name), value)))
          << "trial " << t.number << " " << name << " = " << value;
}

TEST(Hybrid, LaterTrialsExploitTheBestRefinedPoint) {
  Study study = hybrid_study(open_storage(), 3);
  study.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(12));
  int exploit = 0;
  for (const auto& t : study.trials()) {
    std::string mode = t.system_attrs.at("hybrid:mode");
    EXPECT_EQ(mode == "startup", t.number < 3);
    if (mode != "exploit") continue;
    ++exploit;
    const FrozenTrial parent = study.trials()[t.system_attrs.at("hybrid:parent").get<std::size_t>()];
    EXPECT_LT(parent.number, t.number);
    // The start is the parent's refined value perturbed by 10% of the log range at most a few sigma.
    double start = t.system_attrs.at("hypergrad").at("initial_params").at("l2[0]");
    double parent_value = parent.params.at("l2[0]");
    EXPECT_LT(std::abs(std::log(start) - std::log(parent_value)), 4 * 0.1 * std::log(1e8));
  }
  EXPECT_GT(exploit, 0);
}

std::vector<Json> initial_values(const Study& study) {
  std::vector<Json> out;
  for (const auto& t : study.trials()) out.push_back(t.system_attrs.at("hypergrad").at("initial_params"));
  return out;
}

TEST(Hybrid, ResumedStudyDrawsTheSameInitialValuesAsOneRun) {
  auto run = [](const std::string& path, int n) {
    // A new storage and sampler each time, as a new process would have.
    Study study = hybrid_study(open_storage("sqlite:///" + path), 4);
    study.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(n));
    return initial_values(study);
  };
  std::string split = temp_db("hybrid_split.db"), whole = temp_db("hybrid_whole.db");
  run(split, 6);
  std::vector<Json> resumed = run(split, 6);
  std::vector<Json> single = run(whole, 12);
  ASSERT_EQ(resumed.size(), 12u);
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(resumed[i], single[i]) << "trial " << i;
}

class PruneFromStep : public Pruner {
 public:
  bool prune(const Study&, const FrozenTrial& trial) override { return trial.last_step().value_or(0) >= 3; }
};

TEST(Hybrid, HybridTrialsAreNotPrunedByDefault) {
  Study study = create_study(open_storage(), StudyOptions()
                                                 .sampler(std::make_shared<HypergradientSampler>(sampler_options(5)))
                                                 .pruner(std::make_shared<PruneFromStep>()));
  study.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(2));
  for (const auto& t : study.trials()) {
    EXPECT_EQ(t.state, TrialState::Complete);
    const int hyper_steps = t.system_attrs.at("hypergrad").at("hyper_steps");
    EXPECT_GE(hyper_steps, 10) << "every hyper-step a pruning warm-up of 10 would have judged";
    EXPECT_EQ(t.intermediate_values.size(), static_cast<std::size_t>(hyper_steps)) << "each hyper-step still reports";
  }
}

TEST(Hybrid, HyperStepsReportToThePrunerAfterTheWarmUp) {
  auto options = sampler_options(5).pruning_warmup_steps(4);
  Study study = create_study(open_storage(), StudyOptions()
                                                 .sampler(std::make_shared<HypergradientSampler>(options))
                                                 .pruner(std::make_shared<PruneFromStep>()));
  study.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(2));
  for (const auto& t : study.trials()) {
    EXPECT_EQ(t.state, TrialState::Pruned);
    EXPECT_EQ(t.intermediate_values.size(), 4u) << "steps 1..4: the pruner is first asked at step 4";
    EXPECT_EQ(t.value(), t.intermediate_values.at(4));
    EXPECT_EQ(t.system_attrs.at("hypergrad").at("hyper_steps"), 4) << "refined values are stored when pruned";
  }
}

TEST(Hybrid, NonFiniteValidationLossFailsTheTrialAndTheStudyGoesOn) {
  Study study = hybrid_study(open_storage(), 6);
  study.optimize(
      [](Trial& t) {
        ObjectiveOptions nan_later;
        nan_later.nan_from_step = 500;
        return t.number() == 1 ? ridge_objective(t, nan_later) : ridge_objective(t);
      },
      OptimizeOptions().n_trials(3));
  auto trials = study.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].state, TrialState::Complete);
  EXPECT_EQ(trials[1].state, TrialState::Fail);
  std::string reason = trials[1].system_attrs.at("fail_reason");
  EXPECT_NE(reason.find("nan"), std::string::npos) << reason;
  EXPECT_EQ(trials[2].state, TrialState::Complete);
}

TEST(Hybrid, DiscreteParametersCannotBeDifferentiable) {
  Study study = hybrid_study(open_storage(), 7);
  Trial trial = study.ask();
  HyperTrial hyper(trial);
  EXPECT_THROW(hyper.suggest_hyperparameter("layers", IntDistribution(1, 4)), ValueError);
  EXPECT_THROW(hyper.suggest_hyperparameter("q", FloatDistribution(0, 1, false, 0.1)), ValueError);
  EXPECT_THROW(hyper.suggest_hyperparameter("act", CategoricalDistribution({"relu"})), ValueError);
  EXPECT_NO_THROW(hyper.suggest_hyperparameter("wd", 1e-5, 1e-1, HyperparameterOptions().log(true)));
  EXPECT_THROW(hyper.suggest_hyperparameter("wd", 1e-5, 1e-1, HyperparameterOptions().log(true)), ValueError)
      << "twice in one trial";
}

TEST(Hybrid, LargeVectorsGoToATensorFile) {
  Study study = create_study(
      open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>(
                          sampler_options(8).max_param_elements(4).tensor_dir(::testing::TempDir()))));
  study.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(1));
  FrozenTrial t = study.trials()[0];
  EXPECT_EQ(t.params.count("l2"), 1u) << "one broadcast initial value";
  EXPECT_EQ(t.params.count("l2[0]"), 0u);
  std::string path = t.system_attrs.at("hypergrad").at("tensor_files").at("l2");
  torch::Tensor saved;
  torch::load(saved, path);
  EXPECT_EQ(saved.numel(), 8);
  EXPECT_GT((saved - saved.mean()).abs().max().item<double>(), 0) << "elements were refined apart";
  std::remove(path.c_str());
}

TEST(Hybrid, LearningRateRefinedByHypergradientDescent) {
  Study study = create_study(
      open_storage(), StudyOptions().sampler(std::make_shared<HypergradientSampler>(
                          HypergradientSamplerOptions().method(hypergrad::T1T2Options()).seed(9))));
  study.optimize(
      [](Trial& trial) {
        const RidgeData& d = data();
        HyperTrial hyper(trial);
        double lr = hyper.suggest_learning_rate("lr", 1e-3, 0.5);
        auto penalty = hyper.suggest_hyperparameter("l2", 1e-4, 1.0, HyperparameterOptions().log(true));
        auto w = torch::zeros({d.x_train.size(1)}, torch::kFloat64).requires_grad_();
        auto train_loss = [&](const hypergrad::Batch&) {
          return 0.5 * (d.x_train.mv(w) - d.y_train).pow(2).mean() + 0.5 * penalty.value() * w.pow(2).sum();
        };
        auto val_loss = [&] { return 0.5 * (d.x_valid.mv(w) - d.y_valid).pow(2).mean(); };
        auto sgd = std::make_shared<torch::optim::SGD>(std::vector<torch::Tensor>{w}, torch::optim::SGDOptions(lr));
        auto& opt = hyper.make_optimizer({{w}, {}, train_loss, val_loss, /*convex=*/true}, sgd);
        for (int step = 0; step < 300; ++step) opt.step();
        return hyper.value();
      },
      OptimizeOptions().n_trials(2));
  for (const auto& t : study.trials()) {
    ASSERT_EQ(t.state, TrialState::Complete) << dump_json(Json(t.system_attrs));
    double initial = t.system_attrs.at("hypergrad").at("initial_params").at("lr");
    double refined = t.params.at("lr");
    EXPECT_NE(initial, refined);
    EXPECT_GT(refined, initial) << "a small learning rate on a convex problem should grow";
  }
}

TEST(Hybrid, WritesStudyForOptuna) {
  std::string path = "hybrid_for_optuna.db";
  std::remove(path.c_str());
  auto storage = std::make_shared<SqliteStorage>(path, SqliteStorageOptions().schema(OptunaSchema::v3_0_0_d));
  Study study = hybrid_study(storage, 10);
  study.optimize([](Trial& t) { return ridge_objective(t); }, OptimizeOptions().n_trials(4));
  Json expected = Json::array();
  for (const auto& t : study.trials()) expected.push_back({{"number", t.number}, {"value", t.value()}, {"params", t.params}});
  std::ofstream("hybrid_for_optuna.json") << dump_json(expected);
}

}  // namespace
}  // namespace hpo
