#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/split.hpp"
#include "hpo/error.hpp"
#include "hpo/trial.hpp"

namespace hpo::cli {

// How every task trains (the tasks choose their own learning rate unless they tune it).
struct TrainingSettings {
  int epochs = 20;
  int batch_size = 64;
  double momentum = 0.9;  // of the inner SGD
  // Seeds each trial's initialization and batch order (together with the trial number).
  std::uint64_t seed = 0;
};

// A trial whose training loss became NaN or infinite: it fails, the study goes on.
class TrainingDiverged : public Error {
 public:
  using Error::Error;
};

// A built-in model whose hyperparameters a study tunes. The trial value is the
// validation loss (minimized); metrics go into the trial's user attributes.
class Task {
 public:
  virtual ~Task() = default;
  // What the trial's value means, e.g. "validation cross-entropy".
  virtual std::string objective() const = 0;
  // One line per tuned hyperparameter (or group of them): name, range, meaning.
  virtual std::vector<std::string> hyperparameters() const = 0;
  // Trains a fresh model with the trial's hyperparameters and returns the validation loss.
  // Reports it after every epoch (so pruners work) and throws hpo::TrialPruned,
  // TrainingDiverged or Interrupted (Ctrl-C) as they happen.
  virtual double run_trial(Trial& trial) = 0;
};

// ridge, logistic, mlp.
const std::vector<std::string>& task_names();
// Throws hpo::ValueError for an unknown name or data that does not suit the task (ridge
// needs a numeric target; logistic and mlp need 2 to 1000 classes).
std::unique_ptr<Task> make_task(const std::string& name, DataSplit data, const TrainingSettings& settings);

}  // namespace hpo::cli
