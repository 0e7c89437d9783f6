#pragma once

// The constructors behind make_task() (linear_tasks.cpp, mlp_task.cpp).

#include <memory>

#include "tasks/task.hpp"

namespace hpo::cli {

std::unique_ptr<Task> make_ridge_task(const DataSplit& data, const TrainingSettings& settings);
std::unique_ptr<Task> make_logistic_task(const DataSplit& data, const TrainingSettings& settings);
std::unique_ptr<Task> make_mlp_task(const DataSplit& data, const TrainingSettings& settings);

// Throws hpo::ValueError unless the target has between 2 and 1000 classes.
void check_classification_target(const std::string& task, const Dataset& data);

}  // namespace hpo::cli
