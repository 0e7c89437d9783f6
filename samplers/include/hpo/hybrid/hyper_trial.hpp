#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "hpo/arg.hpp"
#include "hpo/distributions.hpp"
#include "hpo/hypergrad/hyper_optimizer.hpp"
#include "hpo/hypergrad/hyperparameter.hpp"
#include "hpo/trial.hpp"

namespace hpo {

struct HypergradientSamplerOptions;
class WholeRunSearch;

struct HyperparameterOptions {
  // Log scale: θ = log λ, and the sampler draws log-uniformly.
  HPO_ARG(bool, log) = false;
  // 0: a scalar (the param `name`); n: a vector of n elements (one penalty per feature,
  // per layer...), the params name[0] … name[n-1].
  HPO_ARG(std::int64_t, size) = 0;
  // Unset: the dtype of the model's parameters, chosen when make_optimizer sees them.
  HPO_ARG(std::optional<torch::Dtype>, dtype);
};

// The differentiable side of a trial. The objective asks it for hyperparameters as
// tensors (their initial values are suggested through the trial, so the study's sampler
// chooses them) and for a HyperOptimizer; the training loop stays a LibTorch loop:
//
//   hpo::HyperTrial hyper(trial);
//   auto decay = hyper.suggest_hyperparameter("weight_decay", 1e-6, 1.0,
//                                             hpo::HyperparameterOptions().log(true).size(n));
//   while (hyper.next_round()) {
//     Net model;  // the losses read decay.value()
//     auto sgd = std::make_shared<torch::optim::SGD>(model->parameters(),
//                                                    torch::optim::SGDOptions(0.1).momentum(0.9));
//     auto& opt = hyper.make_optimizer({{}, {}, batch_loss, val_loss}, sgd);
//     for (...) opt.step(batch);
//   }
//   return hyper.value();
//
// When the study's sampler asks for refinement (Sampler::refinement(), as the
// HypergradientSampler does), the hyperparameters are refined in one of two ways. On a
// problem declared convex (hypergrad::Problem::convex) the optimizer refines them at
// stationary points of the one run; each hyper-step reports the validation loss there as
// an intermediate value (step = hyper-step index). On any other problem each run trains
// with them frozen and next_round() moves them between runs on the hypergradient of the
// whole run (HypergradientSamplerOptions::whole_runs); each run reports its validation
// loss (step = run). When the sampler's pruning_warmup_steps is set, the pruner is asked
// from that step on (hpo::TrialPruned).
// A non-finite hypergradient or loss ends the trial as FAIL with the reason
// (hypergrad::HypergradientError is an hpo::TrialFailed) and the study goes on; across
// whole runs only in the first run: a later run with a non-finite loss counts as failed
// (fail_run()), and a run whose hypergradient is not finite keeps its value but gives no
// direction (the record's "whole_runs_stopped" says why).
// A run of a convex problem refined by an implicit method (CG, Neumann) that ends short of
// a stationary point (a loop too short to converge) moved λ by greedy hyper-steps, which
// the method's hypergradient does not describe: the trial goes on across whole runs from the λ it reached (the first of them
// re-trains with that λ frozen), up to `whole_runs` runs in all; the record's "first_run"
// says what the first did.
// value() is the honest value of the trial: the best run's validation loss, or on a convex
// problem the validation loss at the converged point HyperOptimizer::settle() names (the
// lowest with full batches, the latest with mini-batches), whose λ become the trial's params. They and the method's record (the system
// attribute "hypergrad") are written by a finalizer of the trial, which the Study runs
// when the trial completes or is pruned; a failure to write them fails the trial with the
// reason. With any other sampler the hyperparameters keep their suggested values and the
// optimizer only trains, so one objective serves every sampler.
class HyperTrial {
 public:
  explicit HyperTrial(Trial& trial);
  // Hands what the finalizer writes over to it; touches no storage.
  ~HyperTrial();
  HyperTrial(const HyperTrial&) = delete;
  HyperTrial& operator=(const HyperTrial&) = delete;

  // A hyperparameter in [low, high].
  hypergrad::Hyperparameter suggest_hyperparameter(const std::string& name, double low, double high,
                                                   HyperparameterOptions options = {});
  // The same from a distribution, which must be a FloatDistribution without step:
  // discrete and stepped parameters cannot be refined by gradients (hpo::ValueError).
  hypergrad::Hyperparameter suggest_hyperparameter(const std::string& name, const Distribution& distribution,
                                                   HyperparameterOptions options = {});
  // The inner SGD's learning rate and momentum as hyperparameters that are refined where
  // the refinement can differentiate them: across whole runs (both) and by the methods
  // "t1t2" (the learning rate) and "unrolled" (both). Implicit methods leave them at their
  // suggested values, as any other sampler does. Return the initial value to construct
  // the optimizer with.
  double suggest_learning_rate(const std::string& name, double low, double high, bool log = true);
  double suggest_momentum(const std::string& name, double low, double high);

  // The optimizer for `problem` (whose hyperparameters, when empty, become the ones
  // suggested here) and `inner`, configured from the study's sampler. One per run: once,
  // or once after every next_round() that returned true.
  hypergrad::HyperOptimizer& make_optimizer(hypergrad::Problem problem,
                                            std::shared_ptr<torch::optim::Optimizer> inner);

  // Whether to train (again): the loop of a trial is
  //
  //   while (hyper.next_round()) { build the model; hyper.make_optimizer(...); train; }
  //   return hyper.value();
  //
  // The first call returns true. On a problem not declared convex, with the hybrid
  // sampler, later calls end the run (its validation loss is its value: λ was frozen) and
  // return true while HypergradientSamplerOptions::whole_runs allows another run and the
  // whole run's hypergradient points somewhere inside the box; λ then holds the next run's
  // values, and the CPU generator is put back where the first run began, so that the new
  // model starts from the same weights and draws the same batches (runs compare like with
  // like). Also true once after an implicit method's first run of a convex problem that
  // reached no stationary point, which the trial then continues across whole runs (above). Otherwise
  // false: λ holds the best run's values. A loop without next_round() makes one run.
  bool next_round();
  // The round (1-based, counting every round next_round() granted) whose model value() is
  // the validation loss of: the best whole run so far, else 1 once value() was taken; 0
  // while no run has been ranked (the first run, or the first whole run after an
  // unconverged one), when a failed run has nothing to fall back on.
  int best_run() const;
  // Ends the current run as failed (its training diverged, say): it ranks below every run,
  // and the next run, if next_round() grants one, starts from the best run with a tenth of
  // the step. Only a later whole run can fail so; the first has no λ to fall back on
  // (hpo::ValueError: let the trial fail instead). A run whose validation loss is not
  // finite counts as failed without this call.
  void fail_run();
  // Ends the trial's training and returns its value: with whole runs, the validation loss
  // of the best run (whose λ the params and the hyperparameters then hold); otherwise the
  // validation loss at the best stationary point (when refining and one was reached), else
  // the validation loss of the model as trained now. The params become the λ of that point, and so do the
  // hyperparameters' values (for a re-training, below); the validation loss at the end
  // of training is recorded beside it ("trajectory_value" in "hypergrad").
  double value();
  // Whether value() came from weights trained while λ moved (never with whole runs, whose
  // λ stays frozen in each run): refining, with hyper-steps taken, and either no converged point reached (a loop too short to be stationary), a
  // problem not declared convex (hypergrad::Problem::convex), whose converged weights
  // depend on the path λ took, or mini-batches, whose converged point is one noisy draw
  // taken before training ended. Such a value does not belong to the stored params: only
  // a model trained anew with them frozen gives what they give (hpo optimize's tasks do
  // that). False before value().
  bool value_needs_retraining() const;

  // What the finalizer writes: refined params, tensors too large for params, the record.
  struct Outcome;

  // Whether the study's sampler refines or only suggests.
  bool refining() const { return refinement_ != nullptr; }
  Trial& trial() const { return trial_; }

 private:
  struct Refined {
    hypergrad::Hyperparameter hyperparameter;
    FloatDistribution distribution;
    std::vector<std::string> param_names;  // empty: saved as a tensor file
    std::vector<double> initial;
    bool dtype_given;
  };
  Refined& add(Refined refined);
  double suggest_inner_hyperparameter(std::optional<Refined>& slot, const std::string& name,
                                      const FloatDistribution& distribution);
  void on_hyper_step(const hypergrad::HyperStepReport& report);
  void report(double validation_loss, std::int64_t step, const std::string& what);
  void end_run(bool failed);
  bool continue_across_whole_runs();
  int whole_runs_allowed() const;
  int runs_before_whole_runs() const;
  std::int64_t first_run_hyper_steps() const;  // whole runs report their values after these steps
  std::vector<const Refined*> all_refined() const;
  void collect(Outcome& outcome) const;
  Json record() const;

  Trial& trial_;
  const HypergradientSamplerOptions* refinement_;
  std::vector<Refined> refined_;
  std::optional<Refined> learning_rate_;
  std::optional<Refined> momentum_;
  std::unique_ptr<hypergrad::HyperOptimizer> optimizer_;
  std::vector<double> hypergradient_norms_;
  std::optional<double> value_;
  std::optional<double> trajectory_value_;
  std::shared_ptr<Outcome> outcome_;  // shared with the trial's finalizer
  // Whole runs (a problem not declared convex): the search across runs and the CPU
  // generator's state when the first run began, restored before every later run
  // so that each starts from the same initial weights and draws the same batches.
  bool whole_runs_ = false;
  std::unique_ptr<WholeRunSearch> search_;
  std::optional<torch::Tensor> generator_state_;
  bool run_open_ = false;     // trained with make_optimizer's optimizer, not yet valued
  bool run_pending_ = false;  // next_round() granted a run that make_optimizer has not begun
  // Why a run gave no hypergradient (its reverse pass overflowed), recorded as
  // "whole_runs_stopped": when it is the best run, the search ends there.
  std::optional<std::string> search_stopped_;
  // What the first run did when it ended unconverged and whole runs followed it.
  std::optional<Json> unconverged_first_run_;
};

}  // namespace hpo
