#include "whole_run_search.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace hpo {

WholeRunSearch::WholeRunSearch(std::vector<hypergrad::Hyperparameter> refined, double step)
    : refined_(std::move(refined)), step_(step) {}

void WholeRunSearch::observe(double validation_loss, const std::vector<torch::Tensor>& theta_gradients) {
  values_.push_back(validation_loss);
  if (best_run_ > 0 && !(validation_loss < best_value_)) {
    step_ *= backtracking_factor(validation_loss - best_value_);
    return;
  }
  best_run_ = runs();
  best_value_ = validation_loss;
  best_thetas_.clear();
  for (const hypergrad::Hyperparameter& h : refined_) best_thetas_.push_back(h.theta().detach().clone());
  best_gradients_.clear();
  for (const torch::Tensor& g : theta_gradients) best_gradients_.push_back(g.detach().to(torch::kFloat64));
}

// Along the step just tried, the loss is modelled as the parabola through the best run's
// value with the slope its hypergradient predicts and the value the step met; the next
// step goes to its minimum, kept within [0.1, 0.5] of the step tried (the safeguarded
// interpolation of a backtracking line search). A slope that overstates the descent (a
// chaotic run) gives about half, a step that overshot far a tenth.
double WholeRunSearch::backtracking_factor(double rise) const {
  // φ'(0) per whole step, ≤ 0: the best run's hypergradient along the step θ still holds.
  double slope = 0;
  for (std::size_t i = 0; i < refined_.size(); ++i) {
    const torch::Tensor step = refined_[i].theta().detach().to(torch::kFloat64) - best_thetas_[i].to(torch::kFloat64);
    slope += (best_gradients_[i] * step).sum().item<double>();
  }
  if (!std::isfinite(rise) || !(slope < 0)) return 0.1;
  const double curvature = rise - slope;  // φ(1) − φ(0) − φ'(0), > 0 since rise ≥ 0
  return std::clamp(-slope / (2 * curvature), 0.1, 0.5);
}

bool WholeRunSearch::propose() {
  if (best_gradients_.empty()) {  // the best run gave no hypergradient
    set_thetas(best_thetas_);
    return false;
  }
  // In units of each box: a per-feature penalty over 13.8 log-units and a momentum over
  // 0.99 are moved alike.
  double largest = 0;
  for (std::size_t i = 0; i < refined_.size(); ++i)
    largest = std::max(largest, best_gradients_[i].abs().max().item<double>() * refined_[i].theta_range());
  std::vector<torch::Tensor> next;
  for (std::size_t i = 0; i < refined_.size(); ++i) {
    const double range = refined_[i].theta_range();
    const torch::Tensor share = largest > 0 ? best_gradients_[i] * (range / largest) : torch::zeros_like(best_gradients_[i]);
    next.push_back(best_thetas_[i] - share * (step_ * range));
  }
  set_thetas(next);
  bool moved = false;
  for (std::size_t i = 0; i < refined_.size(); ++i)
    moved = moved || !torch::equal(refined_[i].theta().detach().to(torch::kFloat64), best_thetas_[i].to(torch::kFloat64));
  if (!moved) set_thetas(best_thetas_);
  return moved;
}

void WholeRunSearch::set_thetas(const std::vector<torch::Tensor>& thetas) {
  const torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < refined_.size(); ++i) {
    refined_[i].theta().copy_(thetas[i]);
    refined_[i].project();
  }
}

}  // namespace hpo
