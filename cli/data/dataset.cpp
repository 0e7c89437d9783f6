#include "data/dataset.hpp"

namespace hpo::cli {

Dataset select_rows(const Dataset& data, const std::vector<std::size_t>& indices) {
  Dataset subset;
  subset.feature_names = data.feature_names;
  subset.target_name = data.target_name;
  subset.class_names = data.class_names;
  const std::size_t width = data.n_features();
  subset.features.reserve(indices.size() * width);
  subset.labels.reserve(indices.size());
  if (data.has_numeric_targets()) subset.targets.reserve(indices.size());
  for (std::size_t i : indices) {
    subset.features.insert(subset.features.end(), data.row(i), data.row(i) + width);
    subset.labels.push_back(data.labels[i]);
    if (data.has_numeric_targets()) subset.targets.push_back(data.targets[i]);
  }
  return subset;
}

}  // namespace hpo::cli
