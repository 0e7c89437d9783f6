#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hpo/arg.hpp"
#include "hpo/error.hpp"
#include "hpo/frozen_trial.hpp"
#include "hpo/pruner.hpp"
#include "hpo/retry_failed_trial_callback.hpp"
#include "hpo/sampler.hpp"
#include "hpo/storage.hpp"

namespace hpo {

class Trial;

struct StudyOptions {
  // Empty: a unique "no-name-<uuid>" name, as Optuna does.
  HPO_ARG(std::string, study_name);
  HPO_ARG(std::vector<StudyDirection>, directions) = {StudyDirection::Minimize};
  // Null: TPESampler with default options and a random seed (Optuna's default).
  HPO_ARG(std::shared_ptr<Sampler>, sampler);
  // Null: MedianPruner with default options (Optuna's default).
  HPO_ARG(std::shared_ptr<Pruner>, pruner);
  HPO_ARG(bool, load_if_exists) = false;

 public:
  StudyOptions& direction(StudyDirection d) { return directions({d}); }
};

using Objective = std::function<double(Trial&)>;
using MultiObjective = std::function<std::vector<double>(Trial&)>;
using StudyCallback = std::function<void(Study&, const FrozenTrial&)>;

struct OptimizeOptions {
  // Stop after this many trials (run by this call); unset: until timeout or stop().
  HPO_ARG(std::optional<int>, n_trials);
  // Stop starting new trials after this long.
  HPO_ARG(std::optional<std::chrono::duration<double>>, timeout);
  // Exceptions for which this returns true fail their trial and the loop goes on; any
  // other exception fails its trial and is rethrown. hpo::TrialPruned always prunes;
  // hpo::TrialFailed always fails the trial without stopping the loop.
  HPO_ARG(std::function<bool(const std::exception&)>, catch_if);
  // Called after each trial finishes, with its final state.
  HPO_ARG(std::vector<StudyCallback>, callbacks);

 public:
  OptimizeOptions& catch_all() {
    return catch_if([](const std::exception&) { return true; });
  }
};

struct StudySummary {
  std::int64_t study_id = -1;
  std::string study_name;
  std::vector<StudyDirection> directions;
  AttrMap user_attrs;
  AttrMap system_attrs;
  int n_trials = 0;
  std::optional<FrozenTrial> best_trial;  // single-objective studies with a COMPLETE trial
  std::optional<TimePoint> datetime_start;
};

// A handle to a study in a storage; cheap to copy, and copies may run optimize() in
// several threads at once.
class Study {
 public:
  Study(std::shared_ptr<Storage> storage, std::int64_t study_id,
        std::shared_ptr<Sampler> sampler = nullptr, std::shared_ptr<Pruner> pruner = nullptr);

  // Ask-and-tell. `fixed_distributions` are suggested before the trial is handed back.
  Trial ask(const SearchSpace& fixed_distributions = {});
  // Finishes trial `trial_number` as Optuna's Study.tell does: COMPLETE needs one finite
  // value per objective (a NaN value fails the trial instead), PRUNED takes the last
  // intermediate value, FAIL ignores `values`. Telling a finished trial throws
  // hpo::UpdateFinishedTrialError unless skip_if_finished.
  FrozenTrial tell(int trial_number, const std::vector<double>& values,
                   TrialState state = TrialState::Complete, bool skip_if_finished = false);
  // The same for a trial handle, which first runs its finalizers (see Trial::add_finalizer).
  FrozenTrial tell(Trial& trial, double value);
  FrozenTrial tell(Trial& trial, const std::vector<double>& values);
  FrozenTrial tell(Trial& trial, TrialState state);

  void optimize(const Objective& objective, const OptimizeOptions& options = {});
  void optimize(const MultiObjective& objective, const OptimizeOptions& options = {});
  // Makes the running optimize() calls return after their current trial.
  void stop();

  // The next ask() takes these values (Optuna's fixed_params) instead of sampling them.
  void enqueue_trial(const ParamMap& params, const AttrMap& user_attrs = {},
                     bool skip_if_exists = false);
  // Stores a copy of a finished or WAITING trial (Optuna's add_trial); its number is
  // assigned anew. Params must lie inside their distributions.
  void add_trial(const FrozenTrial& trial);

  FrozenTrial best_trial() const;
  ParamMap best_params() const;
  double best_value() const;
  // The Pareto front of COMPLETE trials (all objectives).
  std::vector<FrozenTrial> best_trials() const;
  std::vector<FrozenTrial> trials(const std::optional<std::vector<TrialState>>& states = std::nullopt) const;
  // The same trials without copying the finished ones (Storage::get_all_trials_shared):
  // for samplers and pruners, which read the study at every step.
  std::vector<SharedTrial> trials_shared(
      const std::optional<std::vector<TrialState>>& states = std::nullopt) const;

  AttrMap user_attrs() const;
  AttrMap system_attrs() const;
  void set_user_attr(const std::string& key, const Json& value);
  void set_system_attr(const std::string& key, const Json& value);

  std::int64_t study_id() const { return study_id_; }
  const std::string& study_name() const { return study_name_; }
  const std::vector<StudyDirection>& directions() const { return directions_; }
  // Throws hpo::Error for a multi-objective study.
  StudyDirection direction() const;
  bool is_multi_objective() const { return directions_.size() > 1; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  const std::shared_ptr<Sampler>& sampler() const { return sampler_; }
  const std::shared_ptr<Pruner>& pruner() const { return pruner_; }

 private:
  void run_trials(const MultiObjective& objective, const OptimizeOptions& options);
  FrozenTrial run_one_trial(const MultiObjective& objective, const OptimizeOptions& options);
  // tell() for a trial given by number, or by its handle (which runs its finalizers).
  FrozenTrial tell(int trial_number, const std::vector<double>& values, TrialState state,
                   bool skip_if_finished, Trial* handle);
  void fail_stale_trials();
  std::optional<std::int64_t> pop_waiting_trial_id();
  // Finishes `trial`, an unfinished trial as last seen (its intermediate values decide a
  // PRUNED trial's value); a trial finished meanwhile makes the storage throw.
  FrozenTrial finish_trial(const FrozenTrial& trial, std::optional<std::vector<double>> values,
                           TrialState state, const std::string& fail_reason);

  std::shared_ptr<Storage> storage_;
  std::int64_t study_id_;
  std::string study_name_;
  std::vector<StudyDirection> directions_;
  std::shared_ptr<Sampler> sampler_;
  std::shared_ptr<Pruner> pruner_;
  std::shared_ptr<std::atomic<bool>> stop_requested_;
};

// Optuna's module-level functions.
Study create_study(std::shared_ptr<Storage> storage, const StudyOptions& options = {});
// Sampler and pruner come from `options`; its directions and load_if_exists are ignored.
Study load_study(std::shared_ptr<Storage> storage, const std::string& study_name,
                 const StudyOptions& options = {});
void delete_study(Storage& storage, const std::string& study_name);
std::vector<StudySummary> get_all_study_summaries(Storage& storage);

}  // namespace hpo

// Trial holds a Study, so it is defined after it; every user of a Study gets it.
#include "hpo/trial.hpp"
