#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "hpo/arg.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/sampler.hpp"

namespace hpo {

namespace tpe {
// Optuna's default_gamma: the best min(⌈0.1·n⌉, 25) of n finished trials form l(x).
int default_gamma(int n);
// Optuna's default_weights: 1 for the newest 25 observations, a ramp from 1/n up to 1 for
// the older ones.
std::vector<double> default_weights(int n);
}  // namespace tpe

// Optuna 4.x's TPESampler defaults.
struct TPESamplerOptions {
  // Random sampling until this many trials are COMPLETE or PRUNED.
  HPO_ARG(int, n_startup_trials) = 10;
  // Candidates drawn from l(x); the one maximizing log l(x) − log g(x) wins.
  HPO_ARG(int, n_ei_candidates) = 24;
  // Unset: a seed from std::random_device.
  HPO_ARG(std::optional<std::uint64_t>, seed);
  // Model the parameters of the intersection search space jointly.
  HPO_ARG(bool, multivariate) = false;
  // With multivariate: model each group of parameters that always occur together jointly
  // (for conditional search spaces). Requires multivariate.
  HPO_ARG(bool, group) = false;
  // Count RUNNING trials as the worst ones, so that parallel workers spread out.
  HPO_ARG(bool, constant_liar) = false;
  HPO_ARG(double, prior_weight) = 1.0;
  // Bound the kernel widths from below by range / min(100, 1 + number of kernels).
  HPO_ARG(bool, consider_magic_clip) = true;
  HPO_ARG(bool, consider_endpoints) = false;
  HPO_ARG(std::function<int(int)>, gamma) = tpe::default_gamma;
  HPO_ARG(std::function<std::vector<double>(int)>, weights) = tpe::default_weights;
};

// The Tree-structured Parzen Estimator, as Optuna's TPESampler: the finished trials are
// split into the best gamma(n) ("below", density l) and the rest ("above", density g),
// each modelled by a mixture of truncated-normal (discretized for int/step, in log space
// for log parameters) or categorical kernels plus a prior kernel; n_ei_candidates points
// drawn from l compete on log l(x) − log g(x).
//
// PRUNED trials rank after COMPLETE ones, deeper (larger last step) first, then by their
// last intermediate value. Multi-objective studies split by non-domination rank (ties
// broken by greedy hypervolume subset selection) and weight l's kernels by hypervolume
// contribution, as Optuna's MOTPE.
//
// Every draw comes from a generator keyed by (seed, trial number, what is drawn), and the
// model only from what the storage holds, so a seeded study resumed in a new process
// samples what an uninterrupted one would. Sampling one trial reads the study's trials
// once, however many parameters it suggests.
class TPESampler : public Sampler {
 public:
  // Throws hpo::ValueError for inconsistent options (group without multivariate...).
  explicit TPESampler(const TPESamplerOptions& options = {});
  ~TPESampler() override;

  SearchSpace infer_relative_search_space(const Study& study, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const Study& study, const FrozenTrial& trial,
                                                const SearchSpace& search_space) override;
  double sample_independent(const Study& study, const FrozenTrial& trial,
                            const std::string& param_name,
                            const Distribution& distribution) override;
  void before_trial(Study& study, const FrozenTrial& trial) override;
  void after_trial(Study& study, const FrozenTrial& trial, TrialState state,
                   const std::optional<std::vector<double>>& values) override;

  const TPESamplerOptions& options() const { return options_; }

 private:
  class History;
  struct Observed;
  std::shared_ptr<const History> history(const Study& study, const FrozenTrial& trial);
  std::map<std::string, double> sample(const History& history, const FrozenTrial& trial,
                                       const SearchSpace& space, const std::string& key) const;

  TPESamplerOptions options_;
  RandomSampler random_;
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

}  // namespace hpo
