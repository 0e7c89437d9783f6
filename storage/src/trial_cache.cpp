#include "trial_cache.hpp"

#include <algorithm>
#include <limits>
#include <memory>

namespace hpo {

const TrialCache::Study* TrialCache::study(std::int64_t study_id) const {
  auto it = studies_.find(study_id);
  return it == studies_.end() ? nullptr : &it->second;
}

std::int64_t TrialCache::watermark(std::int64_t study_id) const {
  const Study* s = study(study_id);
  return s ? s->watermark : 0;
}

std::vector<std::int64_t> TrialCache::cached_above_watermark(std::int64_t study_id) const {
  std::vector<std::int64_t> ids;
  if (const Study* s = study(study_id)) {
    for (auto it = s->finished.upper_bound(s->watermark); it != s->finished.end(); ++it) ids.push_back(it->first);
  }
  return ids;
}

bool TrialCache::needs_details(std::int64_t study_id, const FrozenTrial& row,
                               const std::optional<std::vector<TrialState>>& states) const {
  if (!is_finished(row.state)) return state_selected(row.state, states);
  const Study* s = study(study_id);
  return !s || s->finished.count(row.trial_id) == 0;
}

std::vector<SharedTrial> TrialCache::absorb(std::int64_t study_id, std::vector<FrozenTrial> read,
                                            const std::optional<std::vector<TrialState>>& states) {
  std::vector<FrozenTrial> unfinished;
  std::int64_t first_unfinished = std::numeric_limits<std::int64_t>::max();
  for (FrozenTrial& trial : read) {
    if (!is_finished(trial.state)) first_unfinished = std::min(first_unfinished, trial.trial_id);
  }
  // Decided before the study's entry may be created, so that the answers match the ones
  // the caller got while reading.
  std::vector<bool> keep(read.size());
  for (std::size_t i = 0; i < read.size(); ++i) keep[i] = needs_details(study_id, read[i], states);

  Study& cache = studies_[study_id];
  for (std::size_t i = 0; i < read.size(); ++i) {
    if (!keep[i]) continue;
    FrozenTrial& trial = read[i];
    for (const auto& [name, d] : trial.distributions) cache.param_distributions.insert_or_assign(name, d);
    if (is_finished(trial.state)) {
      finished_trial_study_[trial.trial_id] = study_id;
      cache.finished.emplace(trial.trial_id, std::make_shared<const FrozenTrial>(std::move(trial)));
    } else {
      unfinished.push_back(std::move(trial));
    }
  }
  // Every trial below the first unfinished one is final and cached.
  for (auto it = cache.finished.upper_bound(cache.watermark);
       it != cache.finished.end() && it->first < first_unfinished; ++it) {
    cache.watermark = it->first;
  }

  // Merged in trial_id order. The cache is not even walked when only unfinished states
  // are asked for: asking for the WAITING trials of a study of 10,000 finished ones
  // (every ask does) costs nothing.
  std::vector<SharedTrial> trials;
  auto pending = unfinished.begin();
  auto take_pending_before = [&](std::int64_t trial_id) {
    for (; pending != unfinished.end() && pending->trial_id < trial_id; ++pending) {
      trials.push_back(std::make_shared<const FrozenTrial>(std::move(*pending)));
    }
  };
  if (!states || std::any_of(states->begin(), states->end(), is_finished)) {
    for (const auto& [trial_id, trial] : cache.finished) {
      take_pending_before(trial_id);
      if (state_selected(trial->state, states)) trials.push_back(trial);
    }
  }
  take_pending_before(std::numeric_limits<std::int64_t>::max());
  return trials;
}

SharedTrial TrialCache::find(std::int64_t trial_id) const {
  auto it = finished_trial_study_.find(trial_id);
  if (it == finished_trial_study_.end()) return nullptr;
  return studies_.at(it->second).finished.at(trial_id);
}

void TrialCache::insert(std::int64_t study_id, FrozenTrial trial) {
  const std::int64_t trial_id = trial.trial_id;
  finished_trial_study_[trial_id] = study_id;
  studies_[study_id].finished.emplace(trial_id, std::make_shared<const FrozenTrial>(std::move(trial)));
}

void TrialCache::forget_study(std::int64_t study_id) {
  auto it = studies_.find(study_id);
  if (it == studies_.end()) return;
  for (const auto& entry : it->second.finished) finished_trial_study_.erase(entry.first);
  studies_.erase(it);
}

const Distribution* TrialCache::distribution(std::int64_t study_id, const std::string& name) const {
  const Study* s = study(study_id);
  if (!s) return nullptr;
  auto it = s->param_distributions.find(name);
  return it == s->param_distributions.end() ? nullptr : &it->second;
}

void TrialCache::remember_distribution(std::int64_t study_id, const std::string& name,
                                       const Distribution& distribution) {
  studies_[study_id].param_distributions.insert_or_assign(name, distribution);
}

}  // namespace hpo
