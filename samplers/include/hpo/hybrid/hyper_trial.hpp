#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "hpo/distributions.hpp"
#include "hpo/hypergrad/hyper_optimizer.hpp"
#include "hpo/hypergrad/hyperparameter.hpp"
#include "hpo/trial.hpp"

namespace hpo {

class HypergradientSampler;

// The differentiable side of a trial. The objective asks it for hyperparameters as
// tensors (their initial values are suggested through the trial, so the study's sampler
// chooses them) and for a HyperOptimizer; the training loop stays a LibTorch loop:
//
//   hpo::HyperTrial hyper(trial);
//   auto decay = hyper.suggest_hyperparameter("weight_decay", n_features, 1e-6, 1.0, true);
//   auto sgd = std::make_shared<torch::optim::SGD>(model->parameters(), 0.1);
//   auto& opt = hyper.make_optimizer({model->parameters(), {}, train_loss, val_loss}, sgd);
//   for (...) opt.step(batch_loss);
//   return hyper.finish(val_loss().item<double>());
//
// With a HypergradientSampler the optimizer refines the hyperparameters: each hyper-step
// reports the validation loss as an intermediate value (step = hyper-step index) and asks
// the pruner, which may end the trial (hpo::TrialPruned). A non-finite hypergradient or
// loss ends the trial as FAIL with the reason (hypergrad::HypergradientError is an
// hpo::TrialFailed) and the study goes on. finish() (or the destructor, when the objective
// leaves early) stores the refined values as the trial's params and the method's record
// in the system attribute "hypergrad". With any other sampler the hyperparameters stay at
// their suggested values and the optimizer only trains, so one objective serves random
// search and the hybrid search alike.
class HyperTrial {
 public:
  explicit HyperTrial(Trial& trial);
  ~HyperTrial();
  HyperTrial(const HyperTrial&) = delete;
  HyperTrial& operator=(const HyperTrial&) = delete;

  // A scalar hyperparameter in [low, high], stored as the param `name`.
  hypergrad::Hyperparameter suggest_hyperparameter(const std::string& name, double low, double high,
                                                   bool log = false, torch::Dtype dtype = torch::kFloat32);
  // A vector of `size` elements (one penalty per feature, per layer...), each in
  // [low, high]: the params name[0] … name[size-1] while size <= the sampler's
  // max_param_elements; beyond it one broadcast initial value `name`, and the refined
  // tensor is saved to a file whose path the "hypergrad" attribute records.
  hypergrad::Hyperparameter suggest_hyperparameter(const std::string& name, std::int64_t size, double low,
                                                   double high, bool log = false,
                                                   torch::Dtype dtype = torch::kFloat32);
  // The same from a distribution, which must be a FloatDistribution without step:
  // discrete and stepped parameters cannot be refined by gradients (hpo::ValueError).
  hypergrad::Hyperparameter suggest_hyperparameter(const std::string& name, std::int64_t size,
                                                   const Distribution& distribution,
                                                   torch::Dtype dtype = torch::kFloat32);
  // The inner SGD's learning rate and momentum as refined hyperparameters (methods
  // "t1t2" and "unrolled" refine the learning rate, "unrolled" also the momentum). Return
  // the initial value to construct the optimizer with.
  double suggest_learning_rate(const std::string& name, double low, double high, bool log = true);
  double suggest_momentum(const std::string& name, double low, double high);

  // The optimizer for `problem` (whose hyperparameters, when empty, become the ones
  // suggested here) and `inner`, configured from the study's sampler. One per trial.
  hypergrad::HyperOptimizer& make_optimizer(hypergrad::Problem problem,
                                            std::shared_ptr<torch::optim::Optimizer> inner);

  // Stores the refined values and the method's record; returns `value` for convenience.
  double finish(double value);
  void finish();

  // Whether the study's sampler refines (a HypergradientSampler) or only suggests.
  bool refining() const { return sampler_ != nullptr; }
  Trial& trial() const { return trial_; }

 private:
  struct Refined {
    hypergrad::Hyperparameter hyperparameter;
    FloatDistribution distribution;
    std::vector<std::string> param_names;  // empty: saved as a tensor file
    std::vector<double> initial;
  };
  Refined& add(Refined refined);
  double suggest_inner_hyperparameter(std::optional<Refined>& slot, const std::string& name,
                                      const FloatDistribution& distribution);
  void on_hyper_step(const hypergrad::HyperStepReport& report);
  Json record() const;

  Trial& trial_;
  const HypergradientSampler* sampler_;
  std::vector<Refined> refined_;
  std::optional<Refined> learning_rate_;
  std::optional<Refined> momentum_;
  std::unique_ptr<hypergrad::HyperOptimizer> optimizer_;
  std::vector<double> hypergradient_norms_;
  bool finished_ = false;
};

}  // namespace hpo
