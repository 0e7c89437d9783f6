// `hpo optimize` end to end: tasks on the bundled data, resume by rerunning, Ctrl-C,
// input errors, and the database as Python Optuna sees it.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "hpo_process.hpp"

namespace hpo::cli_test {
namespace {

class OptimizeTest : public HpoTest {
 protected:
  std::vector<std::string> digits(const std::string& task, int n_trials) const {
    return args({{"optimize", "--task", task, "--data", digits_csv().string(), "--n-trials",
                  std::to_string(n_trials), "--epochs", "2"},
                 storage()});
  }
  Json trials(const std::string& study) const {
    return parse_output(hpo(args({{"trials", "-f", "json", "--study-name", study}, storage()})).out);
  }
  RunResult expect_ok(const std::vector<std::string>& arguments) const {
    const RunResult result = hpo(arguments);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    return result;
  }
  void expect_bad_input(const std::vector<std::string>& arguments, const std::string& message) const {
    const RunResult result = hpo(arguments);
    EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  }
  RunResult python(const std::string& script) const {
    return run_program({"/usr/bin/python3", "-c",
                        "import json, optuna\n"
                        "optuna.logging.set_verbosity(optuna.logging.WARNING)\n"
                        "storage = optuna.storages.RDBStorage('sqlite:///" + db_path().string() +
                            "', skip_compatibility_check=True)\n" + script});
  }
  bool has_python_optuna() const { return run_program({"/usr/bin/python3", "-c", "import optuna"}).exit_code == 0; }
};

TEST_F(OptimizeTest, LogisticOnBundledDigitsThenResume) {
  const RunResult first = expect_ok(digits("logistic", 3));
  EXPECT_NE(first.out.find("Tuning:\n  l2: "), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("feature_l2[0] ... feature_l2[63] (one per feature, pixel_0 ... pixel_63)"),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("Sampler: random"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("trial 2 COMPLETE"), std::string::npos) << first.out;  // one line per trial
  EXPECT_NE(first.out.find("Best trial "), std::string::npos);
  EXPECT_NE(first.out.find("'logistic-digits' (3 trials) is stored in sqlite:///"), std::string::npos);

  const RunResult second = expect_ok(digits("logistic", 2));
  EXPECT_NE(second.out.find("3 trials so far"), std::string::npos) << second.out;
  const Json all = trials("logistic-digits");
  ASSERT_EQ(all.size(), 5u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i]["number"], i);
    EXPECT_EQ(all[i]["state"], "COMPLETE");
    EXPECT_EQ(all[i]["params"].size(), 65u);
    EXPECT_GT(all[i]["user_attrs"]["valid_accuracy"].get<double>(), 0.5);
  }
  EXPECT_NE(all[0]["params"]["l2"], all[3]["params"]["l2"]);  // the resumed run draws new values
}

TEST_F(OptimizeTest, RidgeAndMlpWithJsonSummary) {
  const RunResult ridge = expect_ok(args({digits("ridge", 2), {"--test-fraction", "0.2", "-f", "json"}}));
  const Json summary = parse_output(ridge.out);
  EXPECT_EQ(summary["study_name"], "ridge-digits");
  EXPECT_EQ(summary["storage"], "sqlite:///" + db_path().string());
  EXPECT_LT(summary["best_trial"]["value"].get<double>(), 0.5);  // half the MSE of a standardized target
  EXPECT_TRUE(summary["best_trial"]["user_attrs"].contains("test_loss"));
  EXPECT_NE(ridge.err.find("Tuning:"), std::string::npos);  // reports go to stderr with -f json

  const RunResult mlp = expect_ok(args({digits("mlp", 2), {"--max-rows", "600", "-q"}}));
  EXPECT_EQ(mlp.out.find("Tuning:"), std::string::npos);
  const Json mlp_trials = trials("mlp-digits");
  ASSERT_EQ(mlp_trials.size(), 2u);
  for (const Json& trial : mlp_trials) {
    const int depth = trial["params"]["depth"];
    EXPECT_TRUE(trial["params"].contains("learning_rate"));
    EXPECT_TRUE(trial["params"].contains("hidden_size"));
    EXPECT_TRUE(trial["params"].contains("weight_decay[" + std::to_string(depth) + "]"));
    EXPECT_FALSE(trial["params"].contains("weight_decay[" + std::to_string(depth + 1) + "]"));
  }
}

// Two epochs of mini-batch SGD leave logistic regression far from stationary: T1-T2, a
// trajectory method, refines anyway; Neumann, an implicit method, cannot, and every one
// of its hyper-steps is T1-T2's greedy step instead, after which the trial goes on across
// whole runs.
TEST_F(OptimizeTest, HybridSamplerRefinesThePenalties) {
  const RunResult run = expect_ok(args({digits("logistic", 3), {"--sampler", "hybrid", "--method", "t1t2",
                                                               "--hyper-steps", "4", "--study-name", "hybrid"}}));
  EXPECT_NE(run.out.find("Sampler: hybrid (random starts, continuous loss hyperparameters refined by t1t2 "
                         "hypergradients in up to 4 hyper-steps per trial)"),
            std::string::npos)
      << run.out;
  const RunResult greedy = expect_ok(args({digits("logistic", 2), {"--sampler", "hybrid", "--method", "neumann",
                                                                   "--hyper-steps", "4", "--study-name", "greedy"}}));
  EXPECT_NE(greedy.out.find("refined by neumann hypergradients in up to 4 hyper-steps per trial, then across up to 3 "
                            "whole training runs where training ends short of a stationary point)"),
            std::string::npos)
      << greedy.out;
  expect_ok(args({digits("logistic", 1), {"--sampler", "hybrid", "--batch-size", "100000", "--study-name", "full"}}));
  for (const char* study : {"hybrid", "greedy", "full"}) {
    for (const Json& trial : trials(study)) EXPECT_EQ(trial["state"], "COMPLETE");
  }
  if (has_python_optuna()) {
    // The refinement record lives in system attributes, which `hpo trials` (like `optuna
    // trials`) does not print.
    auto records = [&](const std::string& study) {
      const RunResult out = python(
          "study = optuna.load_study(study_name='" + study + "', storage=storage)\n"
          "print(json.dumps([{'params': t.params, 'steps': len(t.intermediate_values),\n"
          "                   'hypergrad': t.system_attrs['hypergrad']} for t in study.trials]))\n");
      EXPECT_EQ(out.exit_code, 0) << out.err;
      return parse_output(out.out);
    };
    for (const Json& trial : records("hybrid")) {
      const Json& record = trial["hypergrad"];
      EXPECT_EQ(record["method"], "t1t2");
      EXPECT_EQ(record["hyper_steps"], 4);
      EXPECT_EQ(trial["steps"], 4);
      EXPECT_NE(record["initial_params"]["feature_l2[7]"], trial["params"]["feature_l2[7]"]);
      EXPECT_EQ(record["mini_batches"], true);
    }
    // A batch size that covers every row is one full batch, not a mini-batch reshuffled
    // each epoch: its converged points are L_V(w*(λ)) itself, and the lowest is the value.
    for (const Json& trial : records("full")) EXPECT_EQ(trial["hypergrad"]["mini_batches"], false);
    for (const Json& trial : records("greedy")) {
      const Json& record = trial["hypergrad"]["first_run"];
      EXPECT_EQ(record["method"], "neumann");
      EXPECT_EQ(record["hyper_steps"], 4);
      EXPECT_EQ(record["greedy_steps"], 4);
      EXPECT_FALSE(trial["hypergrad"].contains("stationary_point"));
    }
  }
  expect_bad_input(args({digits("logistic", 1), {"--sampler", "hybrid", "--method", "newton"}}), "--method must be");
  expect_bad_input(args({digits("logistic", 1), {"--method", "cg"}}), "--method applies to --sampler hybrid only");
}

// The mlp is not convex: a hybrid trial trains up to --whole-runs models, each with its
// decays and learning rate frozen, and keeps the best run's params and validation loss.
TEST_F(OptimizeTest, HybridMlpTrialsRefineAcrossWholeRuns) {
  const RunResult run = expect_ok(args({digits("mlp", 2), {"--max-rows", "300", "--sampler", "hybrid",
                                                          "--whole-runs", "3", "--study-name", "runs"}}));
  EXPECT_NE(run.out.find("weight decays and learning rate refined by the hypergradients of up to 3 whole training runs "
                         "per trial"),
            std::string::npos)
      << run.out;
  for (const Json& trial : trials("runs")) EXPECT_EQ(trial["state"], "COMPLETE");
  if (has_python_optuna()) {
    const RunResult out = python(
        "study = optuna.load_study(study_name='runs', storage=storage)\n"
        "print(json.dumps([{'value': t.value, 'hypergrad': t.system_attrs['hypergrad'],\n"
        "                   'retrained': 'value_from_retraining' in t.user_attrs} for t in study.trials]))\n");
    ASSERT_EQ(out.exit_code, 0) << out.err;
    for (const Json& trial : parse_output(out.out)) {
      const std::vector<double> runs = trial["hypergrad"]["whole_runs"].get<std::vector<double>>();
      ASSERT_FALSE(runs.empty());
      EXPECT_LE(runs.size(), 3u);
      EXPECT_DOUBLE_EQ(trial["value"].get<double>(), *std::min_element(runs.begin(), runs.end()));
      EXPECT_EQ(trial["hypergrad"]["hyper_steps"], 0);
      EXPECT_FALSE(trial["retrained"].get<bool>()) << "a run's decays were frozen: its value needs no re-training";
    }
  }
  expect_bad_input(args({digits("mlp", 1), {"--sampler", "hybrid", "--whole-runs", "-1"}}), "--whole-runs must be");
  expect_bad_input(args({digits("mlp", 1), {"--whole-runs", "2"}}), "--whole-runs applies to --sampler hybrid only");
}

// TPE alone, past its 10 random startup trials, and as the hybrid sampler's base.
TEST_F(OptimizeTest, TpeSamplerAndTpeBase) {
  const RunResult tpe = expect_ok(args({digits("ridge", 12), {"--sampler", "tpe", "--study-name", "tpe"}}));
  EXPECT_NE(tpe.out.find("Sampler: tpe\n"), std::string::npos) << tpe.out;
  EXPECT_EQ(trials("tpe").size(), 12u);
  const RunResult hybrid = expect_ok(args({digits("ridge", 2), {"--sampler", "hybrid", "--base-sampler", "tpe",
                                                                "--hyper-steps", "2", "--study-name", "hybrid-tpe"}}));
  EXPECT_NE(hybrid.out.find("Sampler: hybrid (tpe starts"), std::string::npos) << hybrid.out;
  EXPECT_EQ(trials("hybrid-tpe").size(), 2u);
}

TEST_F(OptimizeTest, IdxFolder) {
  if (!std::filesystem::exists(fashion_mnist_folder())) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const RunResult result = expect_ok(args({{"optimize", "--task", "logistic", "--data", fashion_mnist_folder().string(),
                                            "--max-rows", "1500", "--epochs", "1", "--n-trials", "1"},
                                           storage()}));
  EXPECT_NE(result.out.find("784 features; target 'label'"), std::string::npos) << result.out;
  EXPECT_EQ(trials("logistic-fashion-mnist")[0]["state"], "COMPLETE");
}

TEST_F(OptimizeTest, BadInputExitsTwoWithoutTouchingTheDatabase) {
  write_text("bad.csv", "a,b,y\n1,2,0\n3,x,1\n");
  write_text("text_target.csv", "a,y\n1,cat\n2,dog\n3,cat\n4,dog\n5,cat\n");
  const std::vector<std::string> on_bad = {"optimize", "--task", "logistic", "--data"};
  expect_bad_input(args({on_bad, {"bad.csv"}, storage()}), "line 3: column 'b': 'x' is not a finite number");
  expect_bad_input(args({on_bad, {"missing.csv"}, storage()}), "'missing.csv' does not exist");
  expect_bad_input(args({on_bad, {"bad.csv", "--target", "nope"}, storage()}), "no column named 'nope'");
  expect_bad_input(args({{"optimize", "--task", "ridge", "--data", "text_target.csv"}, storage()}), "numeric target");
  expect_bad_input(args({{"optimize", "--task", "svm", "--data", "bad.csv"}, storage()}), "--task must be");
  expect_bad_input(args({{"optimize", "--data", "bad.csv"}, storage()}), "'--task' is required");
  expect_bad_input(args({digits("logistic", 1), {"--valid-fraction", "1.5"}}), "--valid-fraction");
  expect_bad_input(args({digits("logistic", 1), {"--n-trials", "-1"}}), "--n-trials");
  expect_bad_input(args({digits("logistic", 1), {"--method", "cg"}}), "--sampler hybrid only");
  expect_bad_input(args({digits("logistic", 1), {"--epochs", "0"}}), "--epochs");
  expect_bad_input(args({digits("logistic", 1), {"--sampler", "grid"}}), "--sampler must be random, tpe or hybrid");
  expect_bad_input(args({digits("logistic", 1), {"--base-sampler", "tpe"}}), "--base-sampler applies to --sampler hybrid only");
  expect_bad_input(args({digits("logistic", 1), {"--sampler", "hybrid", "--base-sampler", "grid"}}),
                   "--base-sampler must be random or tpe");
  expect_bad_input(args({digits("logistic", 1), {"--bogus"}}), "unrecognised option '--bogus'");
  EXPECT_FALSE(std::filesystem::exists(db_path()));

  expect_ok(digits("logistic", 1));
  const std::string database_before = read_text(db_path());
  expect_bad_input(args({digits("ridge", 1), {"--study-name", "logistic-digits"}}), "runs the task \"logistic\"");
  EXPECT_EQ(read_text(db_path()), database_before);
}

TEST_F(OptimizeTest, CtrlCFailsTheRunningTrialAndExits130) {
  const int pid = start(args({{"optimize", "--task", "mlp", "--data", digits_csv().string(), "--n-trials", "1000",
                               "--epochs", "200"},
                              storage()}));
  // Wait until the study exists and a trial is running, then interrupt it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (read_text("stdout.txt").find("trials so far") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pid, SIGINT);
  const RunResult interrupted = wait(pid);
  EXPECT_EQ(interrupted.exit_code, 130) << interrupted.out << interrupted.err;
  EXPECT_NE(interrupted.err.find("hpo: interrupted"), std::string::npos) << interrupted.err;
  EXPECT_NE(interrupted.out.find("is stored in sqlite:///"), std::string::npos) << interrupted.out;

  const Json after = trials("mlp-digits");
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after.back()["state"], "FAIL");
  for (const Json& trial : after) EXPECT_NE(trial["state"], "RUNNING");
  if (has_python_optuna()) {
    const RunResult reason = python(
        "study = optuna.load_study(study_name='mlp-digits', storage=storage)\n"
        "print(study.trials[-1].system_attrs.get('fail_reason'))\n");
    EXPECT_EQ(reason.out, "interrupted\n") << reason.err;
  }

  // Rerunning resumes after the failed trial.
  expect_ok(args({{"optimize", "--task", "mlp", "--data", digits_csv().string(), "--n-trials", "1", "--epochs", "1",
                   "--max-rows", "300"},
                  storage()}));
  const Json resumed = trials("mlp-digits");
  EXPECT_EQ(resumed.size(), after.size() + 1);
}

// Eight full-batch steps never make logistic regression stationary, so the greedy
// hyper-steps of a hybrid trial's first run (CG) moved λ while training, and the value
// there belongs to no λ. The trial goes on across whole runs from the λ reached, each
// trained with λ frozen, and stores the best one's value: what running those params again
// gives (full-batch training from zero weights repeats to the last bit).
TEST_F(OptimizeTest, UnconvergedHybridTrialsStoreWhatTheirParamsGive) {
  if (!has_python_optuna()) GTEST_SKIP() << "python3-optuna is not installed";
  auto short_run = [&](const std::string& study, const std::string& sampler) {
    return args({{"optimize", "--task", "logistic", "--data", digits_csv().string(), "--n-trials", "2", "--epochs",
                  "8", "--batch-size", "100000", "--sampler", sampler, "--study-name", study},
                 storage()});
  };
  expect_ok(short_run("refined", "hybrid"));
  expect_ok(args({{"create-study", "--study-name", "again"}, storage()}));
  const RunResult refined = python(
      "refined = optuna.load_study(study_name='refined', storage=storage)\n"
      "again = optuna.load_study(study_name='again', storage=storage)\n"
      "for t in refined.trials: again.enqueue_trial(t.params)\n"
      "print(json.dumps([{'value': t.value, 'hypergrad': t.system_attrs['hypergrad'],\n"
      "                   'retrained': t.user_attrs.get('value_from_retraining', False)} for t in refined.trials]))\n");
  ASSERT_EQ(refined.exit_code, 0) << refined.err;
  expect_ok(short_run("again", "random"));
  const Json stored = parse_output(refined.out);
  const Json rerun = trials("again");
  ASSERT_EQ(stored.size(), 2u);
  ASSERT_EQ(rerun.size(), 2u);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const Json& record = stored[i]["hypergrad"];
    EXPECT_FALSE(record.contains("stationary_point"));
    EXPECT_FALSE(stored[i]["retrained"].get<bool>());
    ASSERT_TRUE(record.contains("first_run")) << record.dump();
    EXPECT_GT(std::abs(record["first_run"]["trajectory_value"].get<double>() - stored[i]["value"].get<double>()), 1e-4);
    const std::vector<double> runs = record["whole_runs"].get<std::vector<double>>();
    EXPECT_EQ(runs.size(), 3u) << "four runs in all";
    EXPECT_DOUBLE_EQ(stored[i]["value"].get<double>(), *std::min_element(runs.begin(), runs.end()));
    EXPECT_NEAR(rerun[i]["value"].get<double>(), stored[i]["value"].get<double>(), 1e-6);
  }
}

TEST_F(OptimizeTest, PythonOptunaSeesTheSameTrials) {
  if (!has_python_optuna()) GTEST_SKIP() << "python3-optuna is not installed";
  expect_ok(digits("logistic", 2));
  const RunResult python_view = python(
      "study = optuna.load_study(study_name='logistic-digits', storage=storage)\n"
      "print(json.dumps({'direction': study.direction.name, 'best': study.best_trial.number,"
      " 'trials': [{'number': t.number, 'state': t.state.name, 'value': t.value, 'params': t.params,"
      " 'user_attrs': t.user_attrs} for t in study.trials]}))\n");
  ASSERT_EQ(python_view.exit_code, 0) << python_view.err;
  const Json from_optuna = parse_output(python_view.out);
  const Json from_hpo = trials("logistic-digits");
  EXPECT_EQ(from_optuna["direction"], "MINIMIZE");
  ASSERT_EQ(from_optuna["trials"].size(), from_hpo.size());
  for (std::size_t i = 0; i < from_hpo.size(); ++i) {
    const Json& theirs = from_optuna["trials"][i];
    EXPECT_EQ(theirs["number"], from_hpo[i]["number"]);
    EXPECT_EQ(theirs["state"], from_hpo[i]["state"]);
    EXPECT_EQ(theirs["value"], from_hpo[i]["value"]);
    EXPECT_EQ(theirs["params"], from_hpo[i]["params"]);
    EXPECT_EQ(theirs["user_attrs"], from_hpo[i]["user_attrs"]);
  }
  const Json best = parse_output(hpo(args({{"best-trial", "-f", "json", "--study-name", "logistic-digits"}, storage()})).out);
  EXPECT_EQ(from_optuna["best"], best["number"]);
}

}  // namespace
}  // namespace hpo::cli_test
