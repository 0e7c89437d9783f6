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
  double low = 0;
  double high = 0;
  bool log = false;
  std::string meaning;

  // The trial parameter of each element: `name` alone, or name + "_" + element.
  std::vector<std::string> param_names() const;
  // E.g. "l2_pixel_0 ... l2_pixel_63 (64 values): per-feature L2 penalty, log-uniform in [1e-05, 10]".
  std::string description() const;
};

}  // namespace hpo::cli
