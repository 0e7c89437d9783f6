#include "observed_values.hpp"

#include <algorithm>
#include <cmath>

#include "hpo/error.hpp"

namespace hpo::tpe {
namespace {

// Dynamic search spaces may give a parameter many distributions over a study.
constexpr std::size_t kMaxColumns = 64;

double internal_value(const FrozenTrial& trial, const std::string& name, const Distribution& distribution) {
  const auto value = trial.params.find(name);
  if (value == trial.params.end()) return NAN;
  try {
    const double internal = to_internal(distribution, value->second);
    return contains(distribution, internal) ? internal : NAN;
  } catch (const Error&) {
    return NAN;
  }
}

}  // namespace

std::vector<std::size_t> ObservedValues::rows(const std::vector<SharedTrial>& trials) {
  std::vector<std::size_t> rows(trials.size(), kNoRow);
  std::vector<const FrozenTrial*> finished;
  std::vector<std::size_t> finished_rows;
  std::size_t j = 0;  // position in previous_
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const FrozenTrial* trial = trials[i].get();
    if (j < previous_.size() && previous_[j] == trial) {
      rows[i] = previous_rows_[j++];
    } else {
      if (!is_finished(trial->state)) continue;
      const auto [known, added] = row_of_.try_emplace(trial, by_row_.size());
      if (added) by_row_.push_back(trials[i]);
      rows[i] = known->second;
    }
    finished.push_back(trial);
    finished_rows.push_back(rows[i]);
  }
  // A storage that hands out new copies of finished trials would add rows on every call:
  // start afresh rather than keep them all.
  if (by_row_.size() > 2 * finished.size() + 64) {
    *this = ObservedValues();
    return this->rows(trials);
  }
  previous_ = std::move(finished);
  previous_rows_ = std::move(finished_rows);
  return rows;
}

std::vector<double> ObservedValues::values(const std::vector<SharedTrial>& trials,
                                           const std::vector<std::size_t>& rows, const std::string& name,
                                           const Distribution& distribution) {
  auto column = std::find_if(columns_.begin(), columns_.end(), [&](const Column& c) {
    return c.name == name && c.distribution == distribution;
  });
  if (column == columns_.end()) {
    if (columns_.size() == kMaxColumns)
      columns_.erase(std::min_element(columns_.begin(), columns_.end(),
                                      [](const Column& a, const Column& b) { return a.last_use < b.last_use; }));
    columns_.push_back({name, distribution, {}, 0});
    column = columns_.end() - 1;
  }
  column->last_use = ++uses_;
  for (std::size_t row = column->by_row.size(); row < by_row_.size(); ++row)
    column->by_row.push_back(internal_value(*by_row_[row], name, distribution));
  std::vector<double> values(trials.size());
  for (std::size_t i = 0; i < trials.size(); ++i)
    values[i] = rows[i] == kNoRow ? internal_value(*trials[i], name, distribution) : column->by_row[rows[i]];
  return values;
}

}  // namespace hpo::tpe
