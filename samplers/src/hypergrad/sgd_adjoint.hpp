#pragma once

// Reverse-mode differentiation of SGD with momentum, one inner step at a time (internal;
// shared by DrMAD and the unrolled method, which differ only in where the weights of each
// reversed step come from). Forward step t, with the η_t and μ_t it was taken with (a
// user's schedule may change them from step to step):
//   v_{t+1} = μ_t v_t + g(w_t, θ),   w_{t+1} = w_t − η_t v_{t+1}
// Reverse step t, with dw = ∂f/∂w_{t+1} and dv the adjoint carried from later steps:
//   dv += −η_t dw;   dη −= dw·v_{t+1};   dμ += dv·v_t;
//   dw += H_t dv;    dθ += J_tᵀ dv;     dv ← μ_t dv
// (dη and dμ: the hypergradients of one η and μ used by every step of the window.)

#include "hpo/hypergrad/training_gradient.hpp"
#include "sgd_dynamics.hpp"

namespace hpo::hypergrad {

class SgdAdjoint {
 public:
  // Starts from ∂f/∂w_T = v and the direct term ∂f/∂θ of the validation loss.
  explicit SgdAdjoint(const ValidationGradient& validation);

  // Reverses step t, taken with `sgd`. `graph` is the training gradient at w_t on that
  // step's batch. With the velocity v_t it also accumulates the learning-rate and momentum
  // hypergradients.
  void reverse_step(TrainingGradient& graph, const SgdSettings& sgd, const TensorList* velocity_before = nullptr);

  const TensorList& d_theta() const { return dtheta_; }
  double learning_rate() const { return deta_; }
  double momentum() const { return dmu_; }

 private:
  TensorList dw_;
  TensorList dv_;
  TensorList dtheta_;
  double deta_ = 0;
  double dmu_ = 0;
};

// A trajectory method's hyper-step differentiates the inner steps of its window; with none
// it would return the direct term alone, as if training did not depend on λ. Throws
// hpo::ValueError naming the method instead.
void throw_if_empty_window(const std::string& method, int64_t steps);

// Temporarily moves the model parameters to other weights (the points of a reverse pass)
// and restores them on destruction, also when a hyper-step throws.
class ScopedWeights {
 public:
  explicit ScopedWeights(TensorList parameters);
  ~ScopedWeights();
  ScopedWeights(const ScopedWeights&) = delete;
  ScopedWeights& operator=(const ScopedWeights&) = delete;

  void set(const TensorList& weights);
  // The weights the parameters had when this guard was made.
  const TensorList& original() const { return original_; }

 private:
  TensorList parameters_;
  TensorList original_;
};

}  // namespace hpo::hypergrad
