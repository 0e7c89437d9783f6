#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hpo/distributions.hpp"
#include "hpo/frozen_trial.hpp"
#include "hpo/sampler.hpp"
#include "hpo/study.hpp"
#include "hpo/suggest_options.hpp"

namespace hpo {

// A running trial, handed to the objective. Suggesting a name a second time returns the
// value of the first suggestion; a distribution that conflicts with the one this name
// has in the study throws hpo::ValueError. A Trial holds a handle to its Study.
class Trial {
 public:
  Trial(Study study, std::int64_t trial_id);

  // Optuna's suggest_float(name, low, high, *, step=None, log=False).
  double suggest_float(const std::string& name, double low, double high,
                       const FloatOptions& options = {});
  // Optuna's suggest_int(name, low, high, step=1, log=False).
  std::int64_t suggest_int(const std::string& name, std::int64_t low, std::int64_t high,
                           const IntOptions& options = {});
  Json suggest_categorical(const std::string& name, const std::vector<Json>& choices);
  // Suggests from any distribution and returns the internal representation: the hook
  // that samplers extending trials (the hybrid sampler) build on.
  double suggest(const std::string& name, const Distribution& distribution);
  // Replaces the value of a parameter suggested earlier in this trial (the hybrid sampler
  // stores refined values this way). Throws hpo::ValueError when `name` was not suggested
  // or `internal` lies outside its distribution.
  void update_param(const std::string& name, double internal);

  // Records an intermediate objective value; a step already reported keeps its value.
  void report(double value, std::int64_t step);
  // Asks the study's pruner about the intermediate values reported so far.
  bool should_prune();

  void set_user_attr(const std::string& key, const Json& value);
  void set_system_attr(const std::string& key, const Json& value);

  // Registers work that must be stored with the trial's result, such as refined params or
  // a saved model: the Study runs the finalizers, in the order added, after the objective
  // has returned (COMPLETE) or pruned the trial, and before the trial is finished, in
  // optimize() and in tell(). They may update params and set attributes through the
  // Trial. A finalizer that throws fails the trial, with its message as fail_reason; the
  // exception goes no further. A trial that fails (or is told FAIL) runs none.
  void add_finalizer(std::function<void(Trial&)> finalizer);

  int number() const { return number_; }
  std::int64_t trial_id() const { return trial_id_; }
  Study& study() { return study_; }
  const Study& study() const { return study_; }
  const ParamMap& params() const { return cache_.params; }
  const std::map<std::string, Distribution>& distributions() const { return cache_.distributions; }
  const AttrMap& user_attrs() const { return cache_.user_attrs; }
  const AttrMap& system_attrs() const { return cache_.system_attrs; }
  // The trial as this handle knows it (its own writes included), without a storage read.
  const FrozenTrial& snapshot() const { return cache_; }

 private:
  friend class Study;
  // Runs and forgets the finalizers of a trial about to finish as `state`, when that is
  // COMPLETE or PRUNED. The first one that throws stops them and turns `state` into FAIL
  // with its message as `fail_reason`.
  void finalize(TrialState& state, std::string& fail_reason);

  Study study_;
  std::int64_t trial_id_;
  int number_;
  // What this trial wrote; the storage stays the source of truth for everyone else.
  FrozenTrial cache_;
  SearchSpace relative_search_space_;
  std::map<std::string, double> relative_params_;
  std::vector<std::function<void(Trial&)>> finalizers_;
};

}  // namespace hpo
