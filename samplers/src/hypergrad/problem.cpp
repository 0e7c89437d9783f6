#include "hpo/hypergrad/problem.hpp"

#include <set>
#include <string>

#include "hpo/error.hpp"

namespace hpo::hypergrad {

void validate(const Problem& problem) {
  if (problem.parameters.empty()) {
    throw ValueError("the problem needs at least one model parameter w, got none");
  }
  for (size_t i = 0; i < problem.parameters.size(); ++i) {
    const torch::Tensor& w = problem.parameters[i];
    if (!w.defined() || !w.requires_grad() || !w.is_floating_point()) {
      throw ValueError("model parameter #" + std::to_string(i) +
                       " must be a defined floating-point tensor that requires grad");
    }
  }
  if (problem.hyperparameters.empty()) {
    throw ValueError("the problem needs at least one hyperparameter, got none");
  }
  std::set<std::string> names;
  for (const Hyperparameter& h : problem.hyperparameters) {
    if (!names.insert(h.name()).second) {
      throw ValueError("hyperparameter name '" + h.name() + "' is used twice");
    }
  }
  if (!problem.train_loss) throw ValueError("the problem has no train_loss function");
  if (!problem.val_loss) throw ValueError("the problem has no val_loss function");
}

std::vector<torch::Tensor> thetas(const Problem& problem) {
  std::vector<torch::Tensor> result;
  result.reserve(problem.hyperparameters.size());
  for (const Hyperparameter& h : problem.hyperparameters) result.push_back(h.theta());
  return result;
}

}  // namespace hpo::hypergrad
