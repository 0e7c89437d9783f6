#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hpo/frozen_trial.hpp"
#include "sqlite_statement_cache.hpp"

namespace hpo::sqlite {

// Builds FrozenTrials from Optuna's trial tables, in two steps so that callers can skip
// trials they already hold: the `trials` rows first (state, number, times), then the
// details (values, params, intermediate values, attributes) of chosen trials.
class TrialReader {
 public:
  explicit TrialReader(StatementCache& statements) : statements_(statements) {}

  // Trials of `study_id` with trial_id > `after_trial_id`, ordered by trial_id, without
  // details.
  std::vector<FrozenTrial> read_rows(std::int64_t study_id, std::int64_t after_trial_id);
  // One trial row and the id of its study; nullopt when there is no such trial.
  std::optional<std::pair<FrozenTrial, std::int64_t>> read_row(std::int64_t trial_id);

  // Fills the details of `trials[begin, end)`, which must be ordered by trial_id. Reads
  // every child row whose trial_id lies in that id range (five range scans over the
  // child tables' (trial_id, ...) indexes), so callers pass runs of adjacent trials.
  void read_details(std::vector<FrozenTrial>& trials, std::size_t begin, std::size_t end);

 private:
  // distribution_json repeats across trials; parsing it once per distinct text keeps
  // loading 10,000 trials cheap.
  const Distribution& distribution(const std::string& json);

  StatementCache& statements_;
  std::unordered_map<std::string, Distribution> distributions_;
};

}  // namespace hpo::sqlite
