#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

namespace hpo::hypergrad {

// A continuous hyperparameter λ of any shape (a scalar, one weight decay per layer or per
// feature...) that hypergradient methods refine.
//
// It is stored in an internal space θ where plain gradient steps make sense: θ = log λ for
// log-scale hyperparameters (a step then changes λ by a factor, and λ stays positive),
// θ = λ otherwise. Bounds [low, high] are in the external space of λ.
//
// Like torch::Tensor, a Hyperparameter is a handle: copies share the same θ, so the loss
// functions and the HyperOptimizer can each hold one.
class Hyperparameter {
 public:
  // `initial` holds external values (λ, not θ) and must be a floating-point tensor inside
  // [low, high]; its dtype and device are kept. Throws hpo::ValueError otherwise.
  Hyperparameter(std::string name, const torch::Tensor& initial, double low, double high,
                 bool log = false);
  // A scalar hyperparameter in float64.
  Hyperparameter(std::string name, double initial, double low, double high, bool log = false);

  // λ as a differentiable function of θ; use this inside the losses.
  torch::Tensor value() const;
  // Sets λ to `values` (external values of θ's shape, e.g. those of an earlier point),
  // projected into [low, high]: a value read off value() may lie an ulp outside after
  // the round trip through θ. Throws hpo::ValueError for another shape or a non-finite value.
  void set_value(const torch::Tensor& values);
  // Clamps θ so that λ lies in [low, high] (done after every hyper-step).
  void project();
  // Converts θ to `dtype`, for every copy of this handle. Optimizers holding the old θ
  // do not follow: convert before a HyperOptimizer is made.
  void to(torch::Dtype dtype);

  const std::string& name() const { return state_->name; }
  // The leaf tensor θ that hypergradients are taken with respect to.
  const torch::Tensor& theta() const { return state_->theta; }
  // The width of the box in θ: log(high / low) on a log scale, high − low otherwise.
  double theta_range() const;
  // The current λ, flattened, as plain numbers (for storing and printing).
  std::vector<double> values() const;
  int64_t numel() const { return state_->theta.numel(); }
  bool log() const { return state_->log; }
  double low() const { return state_->low; }
  double high() const { return state_->high; }

 private:
  struct State {
    std::string name;
    torch::Tensor theta;
    double low;
    double high;
    bool log;
  };
  std::shared_ptr<State> state_;
};

}  // namespace hpo::hypergrad
