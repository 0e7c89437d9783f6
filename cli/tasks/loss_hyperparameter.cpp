#include "tasks/loss_hyperparameter.hpp"

#include <sstream>

namespace hpo::cli {

std::string LossHyperparameter::description() const {
  std::ostringstream text;
  if (element_names.empty()) {
    text << name;
  } else {
    text << name << "[0] ... " << name << "[" << element_names.size() - 1 << "] (one per " << element_noun << ", "
         << element_names.front() << " ... " << element_names.back() << ")";
  }
  text << ": " << meaning << ", " << (log ? "log-uniform" : "uniform") << " in [" << low << ", " << high << "]";
  return text.str();
}

}  // namespace hpo::cli
