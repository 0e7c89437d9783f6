#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "hpo/storage.hpp"

namespace hpo::tpe {

// The internal values of the parameters of a study's finished trials, kept across the
// trials a sampler samples. Finished trials never change, so each is decoded once per
// parameter and distribution, however many trials are sampled after it; sampling then
// reads contiguous arrays of doubles instead of every trial's params. Not thread-safe.
class ObservedValues {
 public:
  static constexpr std::size_t kNoRow = std::numeric_limits<std::size_t>::max();

  // The row of each of `trials` (a study's trials ordered by number, as a storage gives
  // them): a finished trial keeps its row across calls; an unfinished one gets kNoRow.
  std::vector<std::size_t> rows(const std::vector<SharedTrial>& trials);

  // The internal value of parameter `name` under `distribution` for each of `trials`, whose
  // rows() are `rows`; NaN where the trial lacks the parameter or its value lies outside
  // `distribution` (a dynamic range may have moved since).
  std::vector<double> values(const std::vector<SharedTrial>& trials, const std::vector<std::size_t>& rows,
                             const std::string& name, const Distribution& distribution);

 private:
  struct Column {
    std::string name;
    Distribution distribution;
    std::vector<double> by_row;  // decoded for the first by_row.size() rows
    std::uint64_t last_use = 0;
  };

  // Rows are found by the trials' addresses, which holding the trials keeps unique.
  std::vector<SharedTrial> by_row_;
  std::unordered_map<const FrozenTrial*, std::size_t> row_of_;
  // The finished trials of the previous call and their rows: the next call's list is
  // mostly the same one with a few trials added, so it is walked alongside.
  std::vector<const FrozenTrial*> previous_;
  std::vector<std::size_t> previous_rows_;
  std::vector<Column> columns_;
  std::uint64_t uses_ = 0;
};

}  // namespace hpo::tpe
