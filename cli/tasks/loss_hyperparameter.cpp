#include "tasks/loss_hyperparameter.hpp"

#include <sstream>

namespace hpo::cli {

std::vector<std::string> LossHyperparameter::param_names() const {
  if (element_names.empty()) return {name};
  std::vector<std::string> names;
  for (const std::string& element : element_names) names.push_back(name + "_" + element);
  return names;
}

std::string LossHyperparameter::description() const {
  std::ostringstream text;
  const std::vector<std::string> names = param_names();
  text << names.front();
  if (names.size() > 1) text << " ... " << names.back() << " (" << names.size() << " values)";
  text << ": " << meaning << ", " << (log ? "log-uniform" : "uniform") << " in [" << low << ", "
       << high << "]";
  return text.str();
}

}  // namespace hpo::cli
