#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hpo/arg.hpp"
#include "hpo/hypergrad/hyper_optimizer.hpp"
#include "hpo/hypergrad/make_method.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/sampler.hpp"

namespace hpo {

// How a trial of the hybrid search starts; stored as the system attribute "hybrid:mode".
enum class HybridMode { Startup, Explore, Exploit };
std::string to_string(HybridMode mode);

// What the hybrid search does across trials and inside each (the in-trial part is what
// Sampler::refinement() hands to HyperTrial).
struct HypergradientSamplerOptions {
  // The hypergradient method, typed: hypergrad::ConjugateGradientOptions().tolerance(1e-4)
  // selects CG with that tolerance.
  HPO_ARG(hypergrad::MethodOptions, method) = hypergrad::ConjugateGradientOptions();
  // When hyper-steps happen (at stationary points of the inner problem) and how far θ
  // moves (a share of each hyperparameter's range).
  HPO_ARG(hypergrad::HyperOptimizerOptions, hyper_optimizer);
  // A problem not declared convex (hypergrad::Problem::convex: a network) has no single
  // w*(λ) for the implicit methods, and a hypergradient through the next inner steps only
  // says what λ does to those steps: on a network that overfits both moved the weight decay
  // down from every start. On such a problem a trial trains up to `whole_runs` times
  // (HyperTrial::next_round()), each run with λ frozen, differentiates each whole run
  // (the method "unrolled", every step stored: O(steps · |w|) memory) and moves λ between
  // runs; the trial keeps the run that validated best. 1: one run with the suggested
  // values; 0: refine during one run, as on convex problems (the implicit methods' way).
  // A convex problem's run that an implicit method refined without reaching a stationary
  // point goes on so too, up to this many runs in all (HyperTrial::next_round()).
  HPO_ARG(int, whole_runs) = 4;
  // How far the second run's λ moves from the first, as a share of the box of the
  // coordinate with the largest hypergradient; after a run that validates no better than
  // the best, shrunk to a tenth..half by a quadratic fit of the loss along the step (and
  // the next run starts from the best again).
  HPO_ARG(double, whole_run_step) = 0.25;
  // Trials before this number draw every initial value from the base sampler.
  HPO_ARG(int, n_startup_trials) = 5;
  // After startup, this share of trials start near the best trial's refined values; the
  // rest are random restarts drawn by the base sampler.
  HPO_ARG(double, exploit_fraction) = 0.5;
  // Standard deviation of the perturbation of an exploiting trial's start, in internal
  // space (log for log-scale parameters), as a fraction of the parameter's internal range.
  HPO_ARG(double, perturbation) = 0.1;
  // Unset: hybrid trials are never pruned. Their intermediate values are validation losses
  // along a λ that refinement is still moving, and refinement exists to turn poor starts
  // into good trials: pruning them halfway (from hyper-step 10) made the best value after
  // 20 trials worse on held-out tables, never better. Set: the study's pruner is asked
  // from this hyper-step on (trials are then compared at equal hyper-steps).
  HPO_ARG(std::optional<std::int64_t>, pruning_warmup_steps);
  // A vector hyperparameter of up to this many elements is stored as the params
  // name[0] … name[n-1]; a larger one is saved as a tensor file in tensor_dir.
  HPO_ARG(std::int64_t, max_param_elements) = 256;
  // Where tensors too large for params go ("" = the current folder); the CLI sets it to
  // the database's folder.
  HPO_ARG(std::string, tensor_dir);
  // Seeds this sampler's decisions (exploit or explore, perturbations); unset: random.
  HPO_ARG(std::optional<std::uint64_t>, seed);
};

// Gradient methods as a sampler. Across trials it decides where each trial starts: the
// base sampler (RandomSampler by default) draws every parameter for the first
// n_startup_trials and for exploration trials; exploiting trials start near the best
// trial's refined values, perturbed in internal space. Inside a trial, hpo::HyperTrial
// (hyper_trial.hpp) finds these options through refinement(), turns continuous parameters
// into tensors that a HyperOptimizer refines while the model trains, and stores the
// refined values back as the trial's params.
//
// Each decision is a function of the seed, the trial number and what the storage holds,
// so a study resumed in a new process goes on exactly as an uninterrupted run would.
class HypergradientSampler : public Sampler {
 public:
  explicit HypergradientSampler(HypergradientSamplerOptions options = {},
                                std::shared_ptr<Sampler> base = nullptr);

  SearchSpace infer_relative_search_space(const Study& study, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const Study& study, const FrozenTrial& trial,
                                                const SearchSpace& search_space) override;
  double sample_independent(const Study& study, const FrozenTrial& trial,
                            const std::string& param_name,
                            const Distribution& distribution) override;
  // Chooses the trial's mode (and parent) and records them as system attributes.
  void before_trial(Study& study, const FrozenTrial& trial) override;
  void after_trial(Study& study, const FrozenTrial& trial, TrialState state,
                   const std::optional<std::vector<double>>& values) override;
  const HypergradientSamplerOptions* refinement() const override { return &options_; }

  const HypergradientSamplerOptions& options() const { return options_; }
  const std::shared_ptr<Sampler>& base() const { return base_; }

 private:
  static bool exploiting(const FrozenTrial& trial);
  double perturb(const FloatDistribution& d, double parent_value, const FrozenTrial& trial,
                 const std::string& param_name) const;

  HypergradientSamplerOptions options_;
  std::shared_ptr<Sampler> base_;
  RandomSampler rng_;
};

}  // namespace hpo
