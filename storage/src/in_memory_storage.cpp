#include "hpo/storage/in_memory_storage.hpp"

#include "hpo/error.hpp"

namespace hpo {

int InMemoryStorage::StudyRecord::count(const std::optional<std::vector<TrialState>>& states) const {
  if (!states) return static_cast<int>(trials.size());
  int n = 0;
  for (std::size_t s = 0; s < n_in_state.size(); ++s)
    if (state_selected(static_cast<TrialState>(s), states)) n += n_in_state[s];
  return n;
}

void InMemoryStorage::StudyRecord::set_state(FrozenTrial& trial, TrialState state) {
  --n_in_state[static_cast<std::size_t>(trial.state)];
  ++n_in_state[static_cast<std::size_t>(state)];
  trial.state = state;
}

InMemoryStorage::StudyRecord& InMemoryStorage::study_locked(std::int64_t study_id) {
  auto it = studies_.find(study_id);
  if (it == studies_.end()) throw NotFoundError("no study with id " + std::to_string(study_id));
  return it->second;
}

FrozenTrial& InMemoryStorage::trial_locked(std::int64_t trial_id) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) throw NotFoundError("no trial with id " + std::to_string(trial_id));
  return *it->second;
}

FrozenTrial& InMemoryStorage::running_trial_locked(std::int64_t trial_id) {
  FrozenTrial& t = trial_locked(trial_id);
  if (is_finished(t.state))
    throw UpdateFinishedTrialError("trial " + std::to_string(t.number) + " is already " +
                                   to_string(t.state) + " and cannot be changed");
  return t;
}

std::int64_t InMemoryStorage::create_new_study(const std::vector<StudyDirection>& directions,
                                               const std::string& study_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, record] : studies_)
    if (record.study.study_name == study_name)
      throw DuplicatedStudyError("a study named '" + study_name + "' already exists");
  std::int64_t id = next_study_id_++;
  StudyRecord& record = studies_[id];
  record.study.study_id = id;
  record.study.study_name = study_name;
  record.study.directions = directions;
  return id;
}

void InMemoryStorage::delete_study(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& trial : study_locked(study_id).trials) {
    trials_.erase(trial->trial_id);
    trial_study_.erase(trial->trial_id);
  }
  studies_.erase(study_id);
}

void InMemoryStorage::set_study_user_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  std::lock_guard<std::mutex> lock(mutex_);
  study_locked(study_id).study.user_attrs[key] = value;
}

void InMemoryStorage::set_study_system_attr(std::int64_t study_id, const std::string& key, const Json& value) {
  std::lock_guard<std::mutex> lock(mutex_);
  study_locked(study_id).study.system_attrs[key] = value;
}

std::int64_t InMemoryStorage::get_study_id_from_name(const std::string& study_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, record] : studies_)
    if (record.study.study_name == study_name) return id;
  throw NotFoundError("no study named '" + study_name + "'");
}

std::string InMemoryStorage::get_study_name_from_id(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return study_locked(study_id).study.study_name;
}

std::vector<StudyDirection> InMemoryStorage::get_study_directions(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return study_locked(study_id).study.directions;
}

AttrMap InMemoryStorage::get_study_user_attrs(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return study_locked(study_id).study.user_attrs;
}

AttrMap InMemoryStorage::get_study_system_attrs(std::int64_t study_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return study_locked(study_id).study.system_attrs;
}

std::vector<FrozenStudy> InMemoryStorage::get_all_studies() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<FrozenStudy> out;
  for (const auto& [id, record] : studies_) out.push_back(record.study);
  return out;
}

std::int64_t InMemoryStorage::create_new_trial(std::int64_t study_id, const FrozenTrial* template_trial) {
  std::lock_guard<std::mutex> lock(mutex_);
  return create_trial_locked(study_id, template_trial);
}

std::int64_t InMemoryStorage::create_trial_locked(std::int64_t study_id, const FrozenTrial* template_trial) {
  StudyRecord& study = study_locked(study_id);
  FrozenTrial trial = template_trial ? *template_trial : FrozenTrial{};
  if (template_trial) {
    for (const auto& [name, d] : trial.distributions)
      if (auto known = study.param_distributions.find(name); known != study.param_distributions.end())
        check_distribution_compatibility(name, known->second, d);
  } else {
    trial.state = TrialState::Running;
    trial.datetime_start = Clock::now();
  }
  trial.trial_id = next_trial_id_++;
  trial.number = static_cast<int>(study.trials.size());
  for (const auto& [name, d] : trial.distributions) study.param_distributions.emplace(name, d);
  ++study.n_in_state[static_cast<std::size_t>(trial.state)];
  trial_study_[trial.trial_id] = study_id;
  auto shared = std::make_shared<FrozenTrial>(std::move(trial));
  study.trials.push_back(shared);
  trials_.emplace(shared->trial_id, shared);
  return shared->trial_id;
}

void InMemoryStorage::set_trial_param(std::int64_t trial_id, const std::string& param_name,
                                      double internal_value, const Distribution& distribution) {
  std::lock_guard<std::mutex> lock(mutex_);
  FrozenTrial& t = running_trial_locked(trial_id);
  StudyRecord& study = study_locked(trial_study_.at(trial_id));
  if (auto known = study.param_distributions.find(param_name); known != study.param_distributions.end())
    check_distribution_compatibility(param_name, known->second, distribution);
  Json external = to_external(distribution, internal_value);  // validates before any change
  study.param_distributions.emplace(param_name, distribution);
  t.distributions.insert_or_assign(param_name, distribution);
  t.params[param_name] = std::move(external);
}

std::int64_t InMemoryStorage::get_trial_id_from_study_id_trial_number(std::int64_t study_id, int trial_number) {
  std::lock_guard<std::mutex> lock(mutex_);
  const StudyRecord& study = study_locked(study_id);
  if (trial_number < 0 || trial_number >= static_cast<int>(study.trials.size()))
    throw NotFoundError("study '" + study.study.study_name + "' has no trial number " +
                        std::to_string(trial_number));
  return study.trials[static_cast<std::size_t>(trial_number)]->trial_id;
}

bool InMemoryStorage::set_trial_state_values(std::int64_t trial_id, TrialState state,
                                             const std::vector<double>& values) {
  std::lock_guard<std::mutex> lock(mutex_);
  FrozenTrial& t = running_trial_locked(trial_id);
  if (state == TrialState::Running && t.state != TrialState::Waiting) return false;
  study_locked(trial_study_.at(trial_id)).set_state(t, state);
  if (!values.empty()) t.values = values;
  if (state == TrialState::Running) t.datetime_start = Clock::now();
  if (is_finished(state)) t.datetime_complete = Clock::now();
  return true;
}

void InMemoryStorage::set_trial_intermediate_value(std::int64_t trial_id, std::int64_t step, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_trial_locked(trial_id).intermediate_values[step] = value;
}

void InMemoryStorage::set_trial_user_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_trial_locked(trial_id).user_attrs[key] = value;
}

void InMemoryStorage::set_trial_system_attr(std::int64_t trial_id, const std::string& key, const Json& value) {
  std::lock_guard<std::mutex> lock(mutex_);
  running_trial_locked(trial_id).system_attrs[key] = value;
}

FrozenTrial InMemoryStorage::get_trial(std::int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  return trial_locked(trial_id);
}

std::vector<SharedTrial> InMemoryStorage::get_all_trials_shared(
    std::int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(mutex_);
  const StudyRecord& study = study_locked(study_id);
  std::vector<SharedTrial> out;
  const int n = study.count(states);
  if (n == 0) return out;
  out.reserve(static_cast<std::size_t>(n));
  for (const std::shared_ptr<FrozenTrial>& t : study.trials) {
    if (!state_selected(t->state, states)) continue;
    // A finished trial never changes again, so readers may share it; an unfinished one
    // is copied, since the next write changes it in place.
    out.push_back(is_finished(t->state) ? SharedTrial(t) : std::make_shared<const FrozenTrial>(*t));
  }
  return out;
}

int InMemoryStorage::get_n_trials(std::int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(mutex_);
  return study_locked(study_id).count(states);
}

std::optional<FrozenTrial> InMemoryStorage::fail_stale_trial(std::int64_t trial_id, const RetryOf& retry_of) {
  std::lock_guard<std::mutex> lock(mutex_);
  FrozenTrial& trial = trial_locked(trial_id);
  if (trial.state != TrialState::Running) return std::nullopt;
  FrozenTrial failed = trial;
  failed.state = TrialState::Fail;
  failed.datetime_complete = Clock::now();
  // Built before anything changes, so that a retry_of that throws changes nothing.
  const std::optional<FrozenTrial> retry = retry_of ? retry_of(failed) : std::nullopt;
  const std::int64_t study_id = trial_study_.at(trial_id);
  if (retry) create_trial_locked(study_id, &*retry);
  study_locked(study_id).set_state(trial, TrialState::Fail);
  trial = failed;
  return failed;
}

}  // namespace hpo
