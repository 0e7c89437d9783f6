#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "hpo/storage.hpp"

namespace hpo {

// Keeps studies in this process's memory; one mutex makes every call atomic, so several
// threads may share one instance.
class InMemoryStorage : public Storage {
 public:
  std::int64_t create_new_study(const std::vector<StudyDirection>& directions,
                                const std::string& study_name) override;
  void delete_study(std::int64_t study_id) override;
  void set_study_user_attr(std::int64_t study_id, const std::string& key,
                           const Json& value) override;
  void set_study_system_attr(std::int64_t study_id, const std::string& key,
                             const Json& value) override;
  std::int64_t get_study_id_from_name(const std::string& study_name) override;
  std::string get_study_name_from_id(std::int64_t study_id) override;
  std::vector<StudyDirection> get_study_directions(std::int64_t study_id) override;
  AttrMap get_study_user_attrs(std::int64_t study_id) override;
  AttrMap get_study_system_attrs(std::int64_t study_id) override;
  std::vector<FrozenStudy> get_all_studies() override;

  std::int64_t create_new_trial(std::int64_t study_id,
                                const FrozenTrial* template_trial = nullptr) override;
  void set_trial_param(std::int64_t trial_id, const std::string& param_name,
                       double internal_value, const Distribution& distribution) override;
  std::int64_t get_trial_id_from_study_id_trial_number(std::int64_t study_id,
                                                       int trial_number) override;
  bool set_trial_state_values(std::int64_t trial_id, TrialState state,
                              const std::vector<double>& values = {}) override;
  void set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step,
                                    double value) override;
  void set_trial_user_attr(std::int64_t trial_id, const std::string& key,
                           const Json& value) override;
  void set_trial_system_attr(std::int64_t trial_id, const std::string& key,
                             const Json& value) override;
  FrozenTrial get_trial(std::int64_t trial_id) override;
  std::vector<SharedTrial> get_all_trials_shared(
      std::int64_t study_id,
      const std::optional<std::vector<TrialState>>& states = std::nullopt) override;
  int get_n_trials(std::int64_t study_id,
                   const std::optional<std::vector<TrialState>>& states = std::nullopt) override;
  std::optional<FrozenTrial> fail_stale_trial(std::int64_t trial_id, const RetryOf& retry_of) override;

 private:
  struct StudyRecord {
    FrozenStudy study;
    std::vector<std::shared_ptr<FrozenTrial>> trials;  // index = trial number
    // Trials per state (index: TrialState), so that asking for the WAITING trials, which
    // Study::ask does every time, costs nothing when there are none.
    std::array<int, 5> n_in_state{};
    std::map<std::string, Distribution> param_distributions;

    // How many trials are in `states` (all when unset).
    int count(const std::optional<std::vector<TrialState>>& states) const;
    void set_state(FrozenTrial& trial, TrialState state);
  };
  StudyRecord& study_locked(std::int64_t study_id);
  std::int64_t create_trial_locked(std::int64_t study_id, const FrozenTrial* template_trial);
  FrozenTrial& trial_locked(std::int64_t trial_id);
  FrozenTrial& running_trial_locked(std::int64_t trial_id);

  std::mutex mutex_;
  std::map<std::int64_t, StudyRecord> studies_;
  // Shared so that finished trials are handed to readers without copies.
  std::map<std::int64_t, std::shared_ptr<FrozenTrial>> trials_;
  std::map<std::int64_t, std::int64_t> trial_study_;
  std::int64_t next_study_id_ = 1;
  std::int64_t next_trial_id_ = 1;
};

}  // namespace hpo
