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
#include "hpo/hypergrad/sgd_settings.hpp"

namespace hpo::hypergrad {

class StationarityMonitor;
class OutsideWriteMonitor;
struct StationarityVerdict;

// How θ moves along the hypergradient.
enum class HyperUpdate { SGD, Adam };
// "sgd" or "adam"; anything else throws hpo::ValueError.
HyperUpdate hyper_update_from_name(const std::string& name);
std::string to_string(HyperUpdate update);

struct HyperOptimizerOptions {
  // The inner problem is checked for stationarity, and a hyper-step taken if it is, every
  // `inner_steps` inner steps.
  TORCH_ARG(int64_t, inner_steps) = 10;
  // Step size of the hyper-update as a share of each hyperparameter's θ range
  // (Hyperparameter::theta_range()): Adam moves θ by about lr × range per hyper-step, so
  // 1 / lr hyper-steps can cross the whole box whatever its units.
  TORCH_ARG(double, lr) = 0.05;
  TORCH_ARG(HyperUpdate, update) = HyperUpdate::Adam;
  // Clip the joint norm of the internal hypergradients to this value; 0 = no clipping.
  TORCH_ARG(double, clip_norm) = 0;
  // When the validation loss rose since the previous hyper-step and a tensor's
  // hypergradient reversed, its last step overshot: its lr is multiplied by this (HOAG's
  // adaptive step).
  TORCH_ARG(double, lr_backoff) = 0.5;
  // The implicit function theorem holds at w*(λ) only. Stationary means ‖ḡ‖ ≤ tolerance_k · ‖ḡ₀‖, with ḡ a running mean of
  // ∇_w L_T over the recent inner steps, ḡ₀ that mean over the first `inner_steps`, and
  // tolerance_k = max(stationarity_tolerance · stationarity_decay^k, min_stationarity_tolerance)
  // at hyper-step k (HOAG's decreasing inner tolerance); or, for mini-batches (step() given
  // different batch tensors), ‖ḡ‖ within
  // one standard error of zero with gradients no larger than at the start (the inner
  // optimizer is at its noise floor, not diverging). Otherwise a hyper-step of an implicit
  // method (Method::assumes_stationary_point) is greedy or deferred (below);
  // the trajectory methods step anyway, and only stationary points count as values.
  TORCH_ARG(double, stationarity_tolerance) = 1e-1;
  TORCH_ARG(double, stationarity_decay) = 0.9;
  TORCH_ARG(double, min_stationarity_tolerance) = 1e-4;
  // A stationary point becomes a candidate for the trial's value (settle()) only when
  // ‖ḡ‖ ≤ value_tolerance · ‖ḡ₀‖, or at the mini-batch noise floor. The early hyper-steps'
  // loose tolerance is enough to point λ the right way, not to say what the converged
  // model validates at: on noisy labels a model stopped short of w*(λ) validates better,
  // and the best of such points would be a value that re-training the params never gives.
  TORCH_ARG(double, value_tolerance) = 1e-3;
  // Until training first reaches a stationary point, where an implicit method waits for
  // one that training is not about to reach (‖ḡ‖ fell by less than half since the previous
  // check) and the inner optimizer is torch::optim::SGD, step on a greedy hypergradient
  // instead: how L_V now depends on λ through the last inner steps, where the implicit
  // function theorem does not hold yet. Counted in greedy_steps(). After the first
  // stationary point only implicit steps are taken (a loop that converges once converges
  // again after a small step of λ). Off: always defer.
  TORCH_ARG(bool, greedy_when_not_stationary) = true;
  // How many of the run's inner steps a greedy step differentiates. 1: T1-T2, the last
  // step alone (exact for what an under-trained model does next). n > 1: DrMAD through the
  // last n steps of the run so far, along the straight path from the weights training
  // started from (≈ 2n backward passes a greedy step). One step's horizon favours what helps
  // the next steps; on a loop too short to become stationary that can pull every trial to
  // the same λ, away from what is best at the end of training.
  TORCH_ARG(int64_t, greedy_horizon) = 1;
  // Off: step() only trains (and the method records the steps); no stationarity check and
  // no hyper-step happen during training, and the caller takes hypergradient() when the run
  // ends, through every step of it (hpo::HyperTrial does so for problems not declared convex).
  TORCH_ARG(bool, refine_during_training) = true;
  // At most this many hyper-steps (0: no limit). After the last, λ stays frozen while
  // training goes on, and each stationary check evaluates the final λ.
  TORCH_ARG(int64_t, max_hyper_steps) = 0;
};

// Sent to the on_hyper_step callback after every hyper-step (after θ was updated), so a
// trial can report an intermediate value and be pruned (throw from the callback).
struct HyperStepReport {
  int64_t step = 0;  // 1 for the first hyper-step
  // L_V at the stationary point the hypergradient was taken at (before θ moved).
  double validation_loss = 0;
  double hypergradient_norm = 0;  // joint norm of df/dθ over everything refined, unclipped
  int64_t hessian_vector_products = 0;  // cumulative
  int64_t inner_steps = 0;              // inner steps so far
  int64_t deferred_checks = 0;          // checks so far that found w too far from stationary
  bool greedy = false;                  // taken on T1-T2's hypergradient (not stationary)
  double gradient_ratio = 0;            // ‖ḡ‖ / ‖ḡ₀‖ when the step was taken
};

// A point where the inner problem had converged: λ there and L_V of the weights trained
// with it. The honest value of a trial is the best of these, with its λ as the params.
struct StationaryPoint {
  int64_t hyper_step = 0;   // hyper-steps taken before this point (λ after that many)
  int64_t inner_step = 0;
  double validation_loss = 0;
  // λ (external values) of every refined tensor, in the order of refined(): the problem's
  // hyperparameters, then the learning rate and the momentum when attached.
  TensorList values;
};

// torch::optim-style driver of bilevel training. step(batch) makes one step of the inner
// optimizer on the problem's training loss of that batch; every `inner_steps` steps it
// checks whether the inner problem is stationary and, if so, makes a hyper-step: the
// method computes the hypergradient at the current weights, θ takes one Adam/SGD step on
// it (optionally clipped) and is projected into the bounds.
//
//   auto sgd = std::make_shared<torch::optim::SGD>(model->parameters(),
//                                                  torch::optim::SGDOptions(0.1).momentum(0.9));
//   HyperOptimizer hopt(problem, sgd, make_method("cg"));
//   for (auto& batch : loader) hopt.step({batch.data, batch.target});
//   auto point = hopt.settle();  // λ and L_V of the point that makes the value
//
// Without a method it is a plain trainer: step() trains and nothing else happens.
// A non-finite validation loss or hypergradient throws NonFiniteError and leaves θ
// unchanged; methods may throw DivergenceError. Both derive from HypergradientError.
class HyperOptimizer {
 public:
  // Validates the problem (taking its parameters from `inner` when it names none) and
  // checks that the method accepts the inner optimizer (throws hpo::ValueError otherwise).
  HyperOptimizer(Problem problem, std::shared_ptr<torch::optim::Optimizer> inner,
                 std::unique_ptr<Method> method = nullptr, HyperOptimizerOptions options = {});
  ~HyperOptimizer();
  HyperOptimizer(const HyperOptimizer&) = delete;
  HyperOptimizer& operator=(const HyperOptimizer&) = delete;

  // One inner step on `batch`: zero_grad, backward of the training loss, step; then the
  // stationarity check when one is due. Returns the training loss (detached).
  torch::Tensor step(const Batch& batch = {});
  // df/dθ for everything refined (in the order of refined()) by the method through the
  // inner steps since the last hyper-step, without a hyper-step: θ stays. Throws
  // hpo::ValueError without a method, NonFiniteError for a non-finite result.
  std::vector<torch::Tensor> hypergradient();
  // A hyper-step now, stationary or not (also what a passing check triggers). Returns the
  // hypergradient it used. Throws hpo::ValueError without a method.
  const HyperGradient& hyper_step();
  // Evaluates the current λ as a converged point if the inner problem is converged now
  // (the end of training), and returns the point that makes the value, if any: the lowest
  // converged point of full-batch training, the latest one with mini-batches (where L_V
  // at an iterate is a noisy draw and the lowest of many is luck).
  const std::optional<StationaryPoint>& settle();

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
  // Null for a plain trainer.
  const Method* method() const { return method_.get(); }
  const HyperOptimizerOptions& options() const { return options_; }
  const std::optional<Hyperparameter>& learning_rate() const { return learning_rate_; }
  const std::optional<Hyperparameter>& momentum() const { return momentum_; }
  // Everything refined: the problem's hyperparameters, then learning rate and momentum.
  std::vector<Hyperparameter> refined() const;

  // The hypergradient of the last hyper-step (empty before the first).
  const HyperGradient& last_hypergradient() const { return last_hypergradient_; }
  const std::optional<StationaryPoint>& value_point() const { return value_point_; }
  int64_t hyper_steps() const { return hyper_steps_; }
  int64_t inner_steps() const { return inner_steps_; }
  int64_t deferred_checks() const { return deferred_checks_; }
  // Hyper-steps taken on the greedy hypergradient (greedy_when_not_stationary).
  int64_t greedy_steps() const { return greedy_steps_; }
  // Whether step() was given batches holding different rows: mini-batches, whose converged
  // points are noisy draws (the value is then the latest), rather than one full batch
  // (an empty Batch, the same tensors every step, or the same rows reshuffled).
  bool mini_batches() const;
  const Counters& counters() const { return counters_; }

 private:
  void check_due();
  bool hyper_steps_left() const;
  void record_point(double validation_loss, bool sampled);
  // A hyper-step on `method`'s hypergradient; a converged one records its point.
  const HyperGradient& take_hyper_step(Method& method, const StationarityVerdict& verdict);
  void check_finite(const Method& method, const HyperGradient& hypergradient) const;
  void throw_if_written_outside(const Method& method) const;
  // df/dθ for everything refined, in the order of refined().
  std::vector<torch::Tensor> theta_gradients(const HyperGradient& hypergradient) const;
  // Sets θ.grad for everything refined (clipped); returns the joint norm before clipping.
  double load_gradients(const std::vector<torch::Tensor>& gradients);
  void make_hyper_optimizer();
  void back_off_overshoots(const std::vector<torch::Tensor>& gradients, double validation_loss);
  std::vector<torch::Tensor> refined_thetas() const;
  void write_inner_hyperparameters();
  void throw_if_inner_settings_overwritten() const;
  void check_attachable(const Hyperparameter& hyperparameter, const char* what,
                        bool method_differentiates_it) const;

  Problem problem_;
  std::shared_ptr<torch::optim::Optimizer> inner_;
  std::unique_ptr<Method> method_;
  std::unique_ptr<Method> greedy_;  // before an implicit method's first stationary point
  HyperOptimizerOptions options_;
  std::optional<Hyperparameter> learning_rate_;
  std::optional<Hyperparameter> momentum_;
  // What write_inner_hyperparameters() last put into the inner SGD, kept on the host so
  // that every step can check nothing else (a learning-rate scheduler) replaced it.
  std::optional<SgdSettings> written_;
  std::unique_ptr<torch::optim::Optimizer> hyper_optimizer_;  // made at the first hyper-step
  std::unique_ptr<StationarityMonitor> stationarity_;  // null for a plain trainer
  std::unique_ptr<OutsideWriteMonitor> outside_writes_;  // null for a plain trainer
  std::function<void(const HyperStepReport&)> callback_;
  Batch last_batch_;
  HyperGradient last_hypergradient_;
  std::optional<StationaryPoint> value_point_;
  bool reached_stationary_point_ = false;  // ends the greedy T1-T2 steps
  std::optional<double> previous_point_loss_;
  std::vector<torch::Tensor> previous_gradients_;
  Counters counters_;
  int64_t steps_since_check_ = 0;
  int64_t inner_steps_ = 0;
  int64_t hyper_steps_ = 0;
  int64_t deferred_checks_ = 0;
  int64_t greedy_steps_ = 0;
  double last_gradient_ratio_ = 0;
};

}  // namespace hpo::hypergrad
