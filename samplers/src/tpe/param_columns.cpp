#include "param_columns.hpp"

#include <utility>

namespace hpo::tpe {

ParamColumns::ParamColumns(const std::vector<SharedTrial>& trials) {
  // Trials mostly have the same parameters: the j-th name of the previous trial is the
  // first guess for the j-th name of this one, one comparison instead of a search.
  std::vector<std::pair<const std::string*, std::vector<const Json*>*>> previous;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    std::size_t j = 0;
    for (const auto& [name, value] : trials[i]->params) {
      if (j == previous.size()) previous.emplace_back(nullptr, nullptr);
      if (!previous[j].first || *previous[j].first != name) {
        auto [column, inserted] = columns_.try_emplace(name);
        if (inserted) column->second.assign(trials.size(), nullptr);
        previous[j] = {&column->first, &column->second};
      }
      (*previous[j].second)[i] = &value;
      ++j;
    }
  }
}

const std::vector<const Json*>* ParamColumns::find(const std::string& name) const {
  const auto column = columns_.find(name);
  return column == columns_.end() ? nullptr : &column->second;
}

}  // namespace hpo::tpe
