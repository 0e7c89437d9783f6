#pragma once

#include <string>
#include <vector>

namespace hpo::cli {

// A continuous hyperparameter that enters a task's training loss (a weight decay, a
// penalty per feature...): one value per element, all in [low, high].
struct LossHyperparameter {
  std::string name;
  // Empty for a single value; else the elements' names (e.g. the features).
  std::vector<std::string> element_names;
  // What one element belongs to, e.g. "feature" or "layer".
  std::string element_noun;
  double low = 0;
  double high = 0;
  bool log = false;
  std::string meaning;

  // E.g. "feature_l2[0] ... feature_l2[63] (one per feature, pixel_0 ... pixel_63): extra L2
  // penalty ..., log-uniform in [1e-05, 1]". The params are named as hpo::HyperTrial names
  // the elements of a vector hyperparameter.
  std::string description() const;
};

}  // namespace hpo::cli
