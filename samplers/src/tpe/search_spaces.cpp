#include "search_spaces.hpp"

#include <algorithm>

namespace hpo::tpe {
namespace {

SearchSpace without_single(SearchSpace space) {
  for (auto it = space.begin(); it != space.end();) it = is_single(it->second) ? space.erase(it) : std::next(it);
  return space;
}

}  // namespace

SearchSpace intersection_search_space(const std::vector<const FrozenTrial*>& trials) {
  if (trials.empty()) return {};
  SearchSpace space(trials.front()->distributions.begin(), trials.front()->distributions.end());
  for (const FrozenTrial* t : trials) {
    for (auto it = space.begin(); it != space.end();) {
      auto d = t->distributions.find(it->first);
      it = d == t->distributions.end() || !(d->second == it->second) ? space.erase(it) : std::next(it);
    }
  }
  return without_single(std::move(space));
}

std::vector<SearchSpace> group_decomposed_search_space(const std::vector<const FrozenTrial*>& trials) {
  std::vector<SearchSpace> groups;
  for (const FrozenTrial* t : trials) {
    // Split every group into its part inside this trial and the rest; what no group had
    // yet forms a new group.
    SearchSpace unseen(t->distributions.begin(), t->distributions.end());
    std::vector<SearchSpace> next;
    for (const SearchSpace& group : groups) {
      SearchSpace inside, outside;
      for (const auto& [name, distribution] : group)
        (t->distributions.count(name) ? inside : outside).emplace(name, distribution);
      for (const auto& entry : group) unseen.erase(entry.first);
      for (SearchSpace* part : {&inside, &outside})
        if (!part->empty()) next.push_back(std::move(*part));
    }
    if (!unseen.empty()) next.push_back(std::move(unseen));
    groups = std::move(next);
  }
  std::vector<SearchSpace> out;
  for (SearchSpace& group : groups)
    if (SearchSpace kept = without_single(std::move(group)); !kept.empty()) out.push_back(std::move(kept));
  return out;
}

}  // namespace hpo::tpe
