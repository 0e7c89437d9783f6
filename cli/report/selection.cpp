#include "report/selection.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "report/html.hpp"
#include "report/study_view.hpp"

namespace hpo::cli {

namespace {

bool by_number(const FrozenTrial* a, const FrozenTrial* b) { return a->number < b->number; }

}  // namespace

Selection select_trials(std::vector<const FrozenTrial*> candidates, std::size_t limit, StudyDirection direction,
                        const std::string& what) {
  std::sort(candidates.begin(), candidates.end(), by_number);
  if (candidates.size() <= limit) return {std::move(candidates), ""};

  std::vector<const FrozenTrial*> ranked = candidates;
  const auto value = [](const FrozenTrial* t) { return t->values.empty() ? NAN : t->values[0]; };
  std::stable_sort(ranked.begin(), ranked.end(), [&](const FrozenTrial* a, const FrozenTrial* b) {
    if (std::isnan(value(b))) return !std::isnan(value(a));
    return !std::isnan(value(a)) && is_better(value(a), value(b), direction);
  });
  const std::size_t n_best = limit / 4;
  std::set<const FrozenTrial*> chosen(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n_best));
  const std::size_t n_spaced = limit - n_best;
  for (std::size_t i = 0; i < n_spaced && chosen.size() < limit; ++i) {
    chosen.insert(candidates[i * candidates.size() / n_spaced]);
  }
  Selection selection;
  selection.trials.assign(chosen.begin(), chosen.end());
  std::sort(selection.trials.begin(), selection.trials.end(), by_number);
  selection.note = "Downsampled to stay readable: showing " + format_count(selection.trials.size()) + " of " +
                   format_count(candidates.size()) + " " + what + " (the " + format_count(n_best) +
                   " best and evenly spaced others).";
  return selection;
}

}  // namespace hpo::cli
