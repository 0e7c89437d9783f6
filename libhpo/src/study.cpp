#include "hpo/study.hpp"

#include <random>

#include "hpo/error.hpp"
#include "hpo/samplers/tpe_sampler.hpp"

namespace hpo {
namespace {

std::string random_study_name() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  const char* hex = "0123456789abcdef";
  std::string name = "no-name-";
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) name += '-';
    name += hex[gen() % 16];
  }
  return name;
}


}  // namespace

Study::Study(std::shared_ptr<Storage> storage, std::int64_t study_id, std::shared_ptr<Sampler> sampler,
             std::shared_ptr<Pruner> pruner)
    : storage_(std::move(storage)),
      study_id_(study_id),
      study_name_(storage_->get_study_name_from_id(study_id)),
      directions_(storage_->get_study_directions(study_id)),
      sampler_(sampler ? std::move(sampler) : std::make_shared<TPESampler>()),
      pruner_(pruner ? std::move(pruner) : std::make_shared<MedianPruner>()),
      stop_requested_(std::make_shared<std::atomic<bool>>(false)) {}

StudyDirection Study::direction() const {
  if (is_multi_objective())
    throw Error("study '" + study_name_ + "' has " + std::to_string(directions_.size()) +
                " objectives; use directions() for a multi-objective study");
  return directions_[0];
}

std::optional<std::int64_t> Study::pop_waiting_trial_id() {
  for (const auto& t : storage_->get_all_trials(study_id_, std::vector<TrialState>{TrialState::Waiting})) {
    // Another worker may claim the same trial first (the call returns false) or even
    // finish it (the call throws): either way, try the next one.
    try {
      if (storage_->set_trial_state_values(t.trial_id, TrialState::Running)) return t.trial_id;
    } catch (const UpdateFinishedTrialError&) {
    }
  }
  return std::nullopt;
}

Trial Study::ask(const SearchSpace& fixed_distributions) {
  auto waiting = pop_waiting_trial_id();
  std::int64_t trial_id = waiting ? *waiting : storage_->create_new_trial(study_id_);
  sampler_->before_trial(*this, storage_->get_trial(trial_id));
  Trial trial(*this, trial_id);
  for (const auto& [name, distribution] : fixed_distributions) trial.suggest(name, distribution);
  return trial;
}

void Study::enqueue_trial(const ParamMap& params, const AttrMap& user_attrs, bool skip_if_exists) {
  if (skip_if_exists) {
    for (const auto& t : trials()) {
      auto fixed = t.system_attrs.find("fixed_params");
      const Json existing = fixed != t.system_attrs.end() ? fixed->second : Json(t.params);
      bool same = true;
      for (const auto& [name, value] : params)
        if (!existing.contains(name) || existing.at(name) != value) same = false;
      if (same) return;
    }
  }
  FrozenTrial waiting;
  waiting.state = TrialState::Waiting;
  waiting.system_attrs["fixed_params"] = Json(params);
  waiting.user_attrs = user_attrs;
  storage_->create_new_trial(study_id_, &waiting);
}

void Study::add_trial(const FrozenTrial& trial) {
  if (trial.state == TrialState::Running)
    throw ValueError("add_trial got a RUNNING trial, expected COMPLETE, PRUNED, FAIL or WAITING");
  if (trial.state == TrialState::Complete && trial.values.size() != directions_.size())
    throw ValueError("add_trial got a COMPLETE trial with " + std::to_string(trial.values.size()) +
                     " value(s), expected " + std::to_string(directions_.size()));
  for (const auto& [name, value] : trial.params) {
    auto d = trial.distributions.find(name);
    if (d == trial.distributions.end())
      throw ValueError("add_trial: parameter '" + name + "' has no distribution");
    if (!contains(d->second, to_internal(d->second, value)))
      throw ValueError("add_trial: parameter '" + name + "' = " + dump_json(value) +
                       " lies outside its distribution " + distribution_to_json(d->second));
  }
  storage_->create_new_trial(study_id_, &trial);
}

FrozenTrial Study::best_trial() const { return storage_->get_best_trial(study_id_); }
ParamMap Study::best_params() const { return best_trial().params; }
double Study::best_value() const { return best_trial().value(); }

std::vector<FrozenTrial> Study::trials(const std::optional<std::vector<TrialState>>& states) const {
  return storage_->get_all_trials(study_id_, states);
}

std::vector<SharedTrial> Study::trials_shared(const std::optional<std::vector<TrialState>>& states) const {
  return storage_->get_all_trials_shared(study_id_, states);
}

AttrMap Study::user_attrs() const { return storage_->get_study_user_attrs(study_id_); }
AttrMap Study::system_attrs() const { return storage_->get_study_system_attrs(study_id_); }
void Study::set_user_attr(const std::string& key, const Json& value) {
  storage_->set_study_user_attr(study_id_, key, value);
}
void Study::set_system_attr(const std::string& key, const Json& value) {
  storage_->set_study_system_attr(study_id_, key, value);
}

Study create_study(std::shared_ptr<Storage> storage, const StudyOptions& options) {
  if (!storage) throw ValueError("create_study got a null storage, expected hpo::open_storage(url)");
  if (options.directions().empty())
    throw ValueError("create_study got no directions, expected at least one");
  std::string name = options.study_name().empty() ? random_study_name() : options.study_name();
  std::int64_t study_id;
  try {
    study_id = storage->create_new_study(options.directions(), name);
  } catch (const DuplicatedStudyError&) {
    if (!options.load_if_exists()) throw;
    study_id = storage->get_study_id_from_name(name);
  }
  return Study(std::move(storage), study_id, options.sampler(), options.pruner());
}

Study load_study(std::shared_ptr<Storage> storage, const std::string& study_name,
                 const StudyOptions& options) {
  if (!storage) throw ValueError("load_study got a null storage, expected hpo::open_storage(url)");
  std::int64_t study_id = storage->get_study_id_from_name(study_name);
  return Study(std::move(storage), study_id, options.sampler(), options.pruner());
}

void delete_study(Storage& storage, const std::string& study_name) {
  storage.delete_study(storage.get_study_id_from_name(study_name));
}

std::vector<StudySummary> get_all_study_summaries(Storage& storage) {
  std::vector<StudySummary> out;
  for (const auto& s : storage.get_all_studies()) {
    StudySummary summary;
    summary.study_id = s.study_id;
    summary.study_name = s.study_name;
    summary.directions = s.directions;
    summary.user_attrs = s.user_attrs;
    summary.system_attrs = s.system_attrs;
    auto trials = storage.get_all_trials(s.study_id);
    summary.n_trials = static_cast<int>(trials.size());
    for (const auto& t : trials)
      if (t.datetime_start && (!summary.datetime_start || *t.datetime_start < *summary.datetime_start))
        summary.datetime_start = t.datetime_start;
    if (s.directions.size() == 1) {
      try {
        summary.best_trial = storage.get_best_trial(s.study_id);
      } catch (const NotFoundError&) {
      }
    }
    out.push_back(std::move(summary));
  }
  return out;
}

}  // namespace hpo
