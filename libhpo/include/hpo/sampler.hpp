#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hpo/distributions.hpp"
#include "hpo/frozen_trial.hpp"

namespace hpo {

class Study;
// Defined by the hybrid sampler (samplers/); the core only passes a pointer along.
struct HypergradientSamplerOptions;

using SearchSpace = std::map<std::string, Distribution>;

// Optuna's sampler contract. Values cross this interface in the internal representation
// (raw float/int value, categorical index). Parameters fixed by enqueue_trial never reach
// the sampler. Implementations must be safe to call from several threads.
class Sampler {
 public:
  virtual ~Sampler() = default;

  // Parameters to sample jointly before the objective runs (empty: sample independently).
  virtual SearchSpace infer_relative_search_space(const Study& study, const FrozenTrial& trial);
  virtual std::map<std::string, double> sample_relative(const Study& study, const FrozenTrial& trial,
                                                        const SearchSpace& search_space);
  // One parameter that the relative search space did not cover.
  virtual double sample_independent(const Study& study, const FrozenTrial& trial,
                                    const std::string& param_name,
                                    const Distribution& distribution) = 0;
  virtual void before_trial(Study& study, const FrozenTrial& trial);
  virtual void after_trial(Study& study, const FrozenTrial& trial, TrialState state,
                           const std::optional<std::vector<double>>& values);
  // How trials should refine their continuous hyperparameters by hypergradients
  // (hpo::HyperTrial asks), or null: they keep the suggested values. A sampler that wraps
  // another must forward its base's answer, or the wrapped refinement is switched off.
  virtual const HypergradientSamplerOptions* refinement() const { return nullptr; }
};

}  // namespace hpo
