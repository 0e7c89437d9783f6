#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hpo/frozen_trial.hpp"

namespace hpo {

class Study;

// Called for each trial that the heartbeat check failed (see Storage::heartbeat_interval).
using FailedTrialCallback = std::function<void(Study&, const FrozenTrial&)>;

// A trial handed out for reading. Finished trials never change, so a storage hands every
// reader the same copy of each; the pointer stays valid whatever the storage does later.
using SharedTrial = std::shared_ptr<const FrozenTrial>;

// Whether `state` is one of `states`; every state is when `states` is unset (the filter
// of get_all_trials).
bool state_selected(TrialState state, const std::optional<std::vector<TrialState>>& states);

// The only place a study's state lives; Optuna's BaseStorage contract. Every method is
// one logical update (one transaction for a database) and is safe to call from several
// threads. Unknown ids throw hpo::NotFoundError; changing a finished trial throws
// hpo::UpdateFinishedTrialError.
class Storage {
 public:
  virtual ~Storage() = default;

  // Studies.
  // Throws hpo::DuplicatedStudyError when `study_name` is taken.
  virtual std::int64_t create_new_study(const std::vector<StudyDirection>& directions,
                                        const std::string& study_name) = 0;
  virtual void delete_study(std::int64_t study_id) = 0;
  virtual void set_study_user_attr(std::int64_t study_id, const std::string& key,
                                   const Json& value) = 0;
  virtual void set_study_system_attr(std::int64_t study_id, const std::string& key,
                                     const Json& value) = 0;
  virtual std::int64_t get_study_id_from_name(const std::string& study_name) = 0;
  virtual std::string get_study_name_from_id(std::int64_t study_id) = 0;
  virtual std::vector<StudyDirection> get_study_directions(std::int64_t study_id) = 0;
  virtual AttrMap get_study_user_attrs(std::int64_t study_id) = 0;
  virtual AttrMap get_study_system_attrs(std::int64_t study_id) = 0;
  virtual std::vector<FrozenStudy> get_all_studies() = 0;

  // Trials.
  // Creates a RUNNING trial, or a copy of `template_trial` (its state, values, params,
  // attributes, intermediate values and times), numbered next in the study.
  virtual std::int64_t create_new_trial(std::int64_t study_id,
                                        const FrozenTrial* template_trial = nullptr) = 0;
  // Also checks the distribution against the one this name has elsewhere in the study.
  virtual void set_trial_param(std::int64_t trial_id, const std::string& param_name,
                               double internal_value, const Distribution& distribution) = 0;
  virtual std::int64_t get_trial_id_from_study_id_trial_number(std::int64_t study_id,
                                                               int trial_number) = 0;
  // Sets the state (and values when finishing). Returns false, changing nothing, when
  // asked to move a trial to RUNNING that is no longer WAITING: that is how concurrent
  // workers claim enqueued trials.
  virtual bool set_trial_state_values(std::int64_t trial_id, TrialState state,
                                      const std::vector<double>& values = {}) = 0;
  virtual void set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step,
                                            double value) = 0;
  virtual void set_trial_user_attr(std::int64_t trial_id, const std::string& key,
                                   const Json& value) = 0;
  virtual void set_trial_system_attr(std::int64_t trial_id, const std::string& key,
                                     const Json& value) = 0;
  virtual FrozenTrial get_trial(std::int64_t trial_id) = 0;
  // All trials of the study ordered by number; only those in `states` when given.
  // Finished trials are shared, not copied: samplers and pruners that read the study on
  // every step should use this rather than get_all_trials.
  virtual std::vector<SharedTrial> get_all_trials_shared(
      std::int64_t study_id, const std::optional<std::vector<TrialState>>& states = std::nullopt) = 0;

  // Derived queries with generic implementations; backends may answer them faster.
  // The trials of get_all_trials_shared, copied.
  virtual std::vector<FrozenTrial> get_all_trials(
      std::int64_t study_id, const std::optional<std::vector<TrialState>>& states = std::nullopt);
  virtual int get_n_trials(std::int64_t study_id,
                           const std::optional<std::vector<TrialState>>& states = std::nullopt);
  // Best COMPLETE trial of a single-objective study; throws hpo::Error when there is none.
  virtual FrozenTrial get_best_trial(std::int64_t study_id);

  // Heartbeats (Optuna's BaseHeartbeat). A storage that supports them returns an interval;
  // the optimize loop then refreshes the running trial's heartbeat and, before each new
  // trial, fails the trials whose heartbeat is older than the grace period.
  virtual std::optional<std::chrono::milliseconds> heartbeat_interval() const {
    return std::nullopt;
  }
  virtual void record_heartbeat(std::int64_t /*trial_id*/) {}
  // Ids of RUNNING trials of the study whose heartbeat is older than the grace period.
  virtual std::vector<std::int64_t> get_stale_trial_ids(std::int64_t /*study_id*/) { return {}; }
  virtual FailedTrialCallback failed_trial_callback() const { return nullptr; }
};

}  // namespace hpo
