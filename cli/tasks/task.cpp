#include "tasks/task.hpp"

#include "tasks/builtin_tasks.hpp"

namespace hpo::cli {

namespace {

constexpr int kMaxClasses = 1000;

}  // namespace

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> names = {"ridge", "logistic", "mlp"};
  return names;
}

void check_classification_target(const std::string& task, const Dataset& data) {
  if (data.n_classes() < 2 || data.n_classes() > kMaxClasses) {
    throw ValueError("the " + task + " task needs a class label with 2 to " + std::to_string(kMaxClasses) +
                     " distinct values, but column '" + data.target_name + "' has " +
                     std::to_string(data.n_classes()));
  }
}

std::unique_ptr<Task> make_task(const std::string& name, DataSplit data, const TrainingSettings& settings) {
  standardize_features(data);
  if (name == "ridge") return make_ridge_task(data, settings);
  if (name == "logistic") return make_logistic_task(data, settings);
  if (name == "mlp") return make_mlp_task(data, settings);
  throw ValueError("--task must be ridge, logistic or mlp, got '" + name + "'");
}

}  // namespace hpo::cli
