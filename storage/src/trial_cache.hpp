#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hpo/storage.hpp"

namespace hpo {

// What a database storage keeps of each study between calls: its finished trials, which
// never change again and so are read from the database once and then shared by every
// reader, and one distribution per parameter name (for Optuna's compatibility check).
// Not thread-safe: the storage's mutex guards it. The trials it hands out stay valid
// after the cache forgets them.
class TrialCache {
 public:
  // Every trial of the study with trial_id <= watermark is finished and cached, so a
  // refresh reads only the trials above it.
  std::int64_t watermark(std::int64_t study_id) const;
  // The study's cached trials above the watermark (finished after an unfinished one).
  std::vector<std::int64_t> cached_above_watermark(std::int64_t study_id) const;
  // Whether a refresh must read the details of this trial row: a finished trial that is
  // not cached yet, or an unfinished one in `states` (all when unset).
  bool needs_details(std::int64_t study_id, const FrozenTrial& row,
                     const std::optional<std::vector<TrialState>>& states) const;

  // Takes what a refresh read: every trial of the study above the watermark, ordered by
  // trial_id, with details where needs_details() said so. Caches the finished ones,
  // advances the watermark, and returns every trial of the study in `states` in number
  // order: the cached ones shared, the unfinished ones moved out of `read`.
  std::vector<SharedTrial> absorb(std::int64_t study_id, std::vector<FrozenTrial> read,
                                  const std::optional<std::vector<TrialState>>& states);

  // The cached trial, or null when it is not cached.
  SharedTrial find(std::int64_t trial_id) const;
  // Caches one finished trial read on its own (get_trial); the watermark stays.
  void insert(std::int64_t study_id, FrozenTrial trial);
  void forget_study(std::int64_t study_id);

  // The distribution a parameter name has in the study, when known; compatibility is an
  // equivalence, so one known distribution per name suffices.
  const Distribution* distribution(std::int64_t study_id, const std::string& name) const;
  void remember_distribution(std::int64_t study_id, const std::string& name,
                             const Distribution& distribution);

 private:
  struct Study {
    std::map<std::int64_t, SharedTrial> finished;  // by trial_id, hence by number
    std::int64_t watermark = 0;
    std::map<std::string, Distribution> param_distributions;
  };
  const Study* study(std::int64_t study_id) const;

  std::map<std::int64_t, Study> studies_;
  std::unordered_map<std::int64_t, std::int64_t> finished_trial_study_;
};

}  // namespace hpo
