#pragma once

#include <optional>
#include <vector>

#include <torch/types.h>

#include "hpo/hypergrad/hyperparameter.hpp"

namespace hpo {

// Descent on λ across whole training runs, for a trial whose problem is not declared
// convex. Each run trains with λ frozen, so its validation loss is exactly what those
// params give; its hypergradient differentiates that whole run, so it says what more or less
// λ does to the end of training. A greedy or implicit hypergradient taken during training
// says what λ does to the next steps or to a w*(λ) that an overparameterized network never
// reaches, and on a network that overfits it pushed the weight decay down from every start.
//
// The next λ moves from the best run so far against its hypergradient, the coordinate with
// the largest hypergradient (in units of its box) by `step` of its box, the others in
// proportion. A run that validates no better shrinks the step (HOAG's check that the
// validation loss went down; by how much, backtracking_factor) and the next proposal starts
// from the best run again.
class WholeRunSearch {
 public:
  WholeRunSearch(std::vector<hypergrad::Hyperparameter> refined, double step);

  // Records the run just trained with the current θ: its validation loss and df/dθ (in the
  // order of the hyperparameters given at construction; empty for a run that no proposal
  // can start from: the last, or one whose hypergradient overflowed).
  void observe(double validation_loss, const std::vector<torch::Tensor>& theta_gradients);
  // Sets θ to the next λ to train with and returns true, or sets it to the best run's λ and
  // returns false when the best run's hypergradient is missing or points nowhere inside
  // the box.
  bool propose();
  // Sets θ to the best run's λ.
  void restore_best() { set_thetas(best_thetas_); }

  int runs() const { return static_cast<int>(values_.size()); }
  // Every run's validation loss, in order.
  const std::vector<double>& values() const { return values_; }
  int best_run() const { return best_run_; }  // 1-based; 0 before any run
  double best_value() const { return best_value_; }
  double step() const { return step_; }

 private:
  void set_thetas(const std::vector<torch::Tensor>& thetas);
  double backtracking_factor(double rise) const;

  std::vector<hypergrad::Hyperparameter> refined_;
  double step_;
  std::vector<double> values_;
  int best_run_ = 0;
  double best_value_ = 0;
  std::vector<torch::Tensor> best_thetas_;
  std::vector<torch::Tensor> best_gradients_;
};

}  // namespace hpo
