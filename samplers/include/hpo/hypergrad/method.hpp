#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/optim/optimizer.h>

#include "hpo/hypergrad/problem.hpp"
#include "hpo/hypergrad/training_gradient.hpp"

namespace hpo::hypergrad {

// A method's options or diagnostics as (key, number) pairs: plain enough to be stored as
// trial attributes and fed back into make_method(). Flags are 0/1.
using Settings = std::vector<std::pair<std::string, double>>;

// The hypergradient of f(λ) = L_V(w(λ), λ) at the current weights.
struct HyperGradient {
  // df/dθ (internal space), one tensor shaped like θ per problem hyperparameter.
  TensorList d_theta;
  // df/dη and df/dμ for the inner SGD learning rate and momentum (external values), from
  // the methods that differentiate through the inner updates.
  std::optional<double> learning_rate;
  std::optional<double> momentum;
  // L_V at the weights the hypergradient was taken at.
  double validation_loss = 0;
};

// What a method sees at a hyper-step.
struct HyperStepContext {
  const Problem& problem;
  const torch::optim::Optimizer& inner;
  // The batch of the latest inner step: the implicit methods take H and J on it.
  const Batch& batch;
  Counters& counters;
};

// What a method sees just before each inner optimizer step (weights not yet updated).
struct InnerStepView {
  const Problem& problem;
  const torch::optim::Optimizer& inner;
  const Batch& batch;
};

// One way of approximating the hypergradient (T1-T2, Neumann, CG, DrMAD, unrolled).
class Method {
 public:
  virtual ~Method() = default;

  // The name make_method() knows it by: "t1t2", "neumann", "cg", "drmad", "unrolled".
  virtual std::string name() const = 0;
  // Its options; make_method(name(), settings()) rebuilds an equivalent method.
  virtual Settings settings() const = 0;
  // What it observed so far (e.g. Neumann divergences, CG curvature-guard hits).
  virtual Settings diagnostics() const { return {}; }

  // Throws hpo::ValueError when the method's math does not hold for this inner optimizer
  // (T1-T2, DrMAD and unrolled model the update of plain SGD with momentum).
  virtual void check_inner_optimizer(const torch::optim::Optimizer& /*inner*/) const {}
  // Whether HyperGradient::learning_rate / ::momentum get filled.
  virtual bool differentiates_learning_rate() const { return false; }
  virtual bool differentiates_momentum() const { return false; }
  // The implicit methods (Neumann, CG) hold only at w*(λ): the HyperOptimizer defers
  // their hyper-steps until the inner problem is stationary. The trajectory methods
  // differentiate the steps actually taken and may step at any time.
  virtual bool assumes_stationary_point() const { return false; }

  // Called before every inner step; trajectory-based methods record what they need.
  virtual void before_inner_step(const InnerStepView& /*step*/) {}
  // The hypergradient at the current weights. Ends the current window of inner steps;
  // a trajectory method given an empty window throws hpo::ValueError.
  virtual HyperGradient hypergradient(const HyperStepContext& context) = 0;
};

}  // namespace hpo::hypergrad
