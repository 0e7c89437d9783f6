#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <torch/arg.h>
#include <torch/optim/optimizer.h>

#include "hpo/hypergrad/hyperparameter.hpp"
#include "hpo/hypergrad/method.hpp"
#include "hpo/hypergrad/problem.hpp"

namespace hpo::hypergrad {

// How θ moves along the hypergradient.
enum class HyperUpdate { SGD, Adam };
// "sgd" or "adam"; anything else throws hpo::ValueError.
HyperUpdate hyper_update_from_name(const std::string& name);

struct HyperOptimizerOptions {
  // A hyper-step after every `inner_steps` calls to step().
  TORCH_ARG(int64_t, inner_steps) = 10;
  // Learning rate of the hyper-update on the internal values θ.
  TORCH_ARG(double, lr) = 0.05;
  TORCH_ARG(HyperUpdate, update) = HyperUpdate::Adam;
  // Clip the joint norm of the internal hypergradients to this value; 0 = no clipping.
  TORCH_ARG(double, clip_norm) = 0;
};

// Sent to the on_hyper_step callback after every hyper-step (after θ was updated), so a
// trial can report an intermediate value and be pruned (throw from the callback).
struct HyperStepReport {
  int64_t step = 0;  // 1 for the first hyper-step
  double validation_loss = 0;
  double hypergradient_norm = 0;  // joint norm of df/dθ over everything refined, unclipped
  int64_t hessian_vector_products = 0;  // cumulative
};

// torch::optim-style driver of bilevel training. step() makes one step of the inner
// optimizer; every inner_steps steps it also makes a hyper-step: the method computes the
// hypergradient at the current weights, θ takes one SGD/Adam step on it (optionally
// clipped) and is projected into the bounds.
//
//   auto sgd = std::make_shared<torch::optim::SGD>(model->parameters(), 0.1);
//   HyperOptimizer hopt(problem, sgd, make_method("cg"), HyperOptimizerOptions().lr(0.1));
//   for (auto& batch : loader) {
//     hopt.zero_grad();
//     loss_on(batch).backward();
//     hopt.step();
//   }
//
// A non-finite validation loss or hypergradient throws NonFiniteError and leaves θ
// unchanged; methods may throw DivergenceError. Both derive from HypergradientError.
class HyperOptimizer {
 public:
  // Validates the problem and checks that the method accepts the inner optimizer (throws
  // hpo::ValueError otherwise). The inner optimizer should train problem.parameters.
  HyperOptimizer(Problem problem, std::shared_ptr<torch::optim::Optimizer> inner,
                 std::unique_ptr<Method> method, HyperOptimizerOptions options = {});

  // One inner step on gradients the caller has already computed (zero_grad, backward).
  void step();
  // One inner step on `batch_loss`, the loss of this step's batch: zero_grad, backward and
  // step are done here. The unrolled method keeps the closure to replay the batch, so it
  // must stay valid until the next hyper-step. Returns the loss.
  torch::Tensor step(const LossClosure& batch_loss);
  // A hyper-step now (also what step() triggers). Returns the hypergradient it used.
  const HyperGradient& hyper_step();
  // Zeroes the gradients of the inner optimizer and of θ.
  void zero_grad();

  // Makes the inner SGD learning rate / momentum a refined hyperparameter (scalar, e.g.
  // log-scale in [1e-4, 1]). Its current value is written into the optimizer now and after
  // every hyper-step. Needs an SGD inner optimizer and a method that differentiates it
  // (t1t2 or unrolled for the learning rate, unrolled for momentum), and must happen before
  // the first hyper-step. Throws hpo::ValueError otherwise.
  void attach_learning_rate(Hyperparameter learning_rate);
  void attach_momentum(Hyperparameter momentum);

  void on_hyper_step(std::function<void(const HyperStepReport&)> callback);

  const Problem& problem() const { return problem_; }
  torch::optim::Optimizer& inner() { return *inner_; }
  const Method& method() const { return *method_; }
  const HyperOptimizerOptions& options() const { return options_; }
  const std::optional<Hyperparameter>& learning_rate() const { return learning_rate_; }
  const std::optional<Hyperparameter>& momentum() const { return momentum_; }

  // The hypergradient of the last hyper-step (empty before the first).
  const HyperGradient& last_hypergradient() const { return last_hypergradient_; }
  double last_validation_loss() const { return last_hypergradient_.validation_loss; }
  int64_t hyper_steps() const { return hyper_steps_; }
  const Counters& counters() const { return counters_; }

 private:
  void before_inner_step(const LossClosure& batch_loss);
  void after_inner_step();
  void check_finite(const HyperGradient& hypergradient) const;
  // Sets θ.grad from the hypergradient for everything refined; returns the joint norm.
  double load_gradients(const HyperGradient& hypergradient);
  std::vector<torch::Tensor> refined_tensors() const;
  void write_inner_hyperparameters();
  void check_attachable(const Hyperparameter& hyperparameter, const char* what,
                        bool method_differentiates_it) const;

  Problem problem_;
  std::shared_ptr<torch::optim::Optimizer> inner_;
  std::unique_ptr<Method> method_;
  HyperOptimizerOptions options_;
  std::optional<Hyperparameter> learning_rate_;
  std::optional<Hyperparameter> momentum_;
  std::unique_ptr<torch::optim::Optimizer> hyper_optimizer_;  // made at the first hyper-step
  std::function<void(const HyperStepReport&)> callback_;
  HyperGradient last_hypergradient_;
  Counters counters_;
  int64_t steps_in_window_ = 0;
  int64_t hyper_steps_ = 0;
};

}  // namespace hpo::hypergrad
