#include "outside_write_monitor.hpp"

namespace hpo::hypergrad {
namespace {

// The same reduction over the same untouched tensor gives the same sum; this only leaves
// room for a device whose reductions are not bitwise repeatable.
constexpr double kRounding = 1e-12;

torch::Tensor squared_norms(const TensorList& weights) {
  std::vector<torch::Tensor> norms;
  norms.reserve(weights.size());
  for (const torch::Tensor& w : weights) norms.push_back(w.detach().to(torch::kFloat64).pow(2).sum());
  return torch::stack(norms);
}

}  // namespace

void OutsideWriteMonitor::after_step(const TensorList& weights) {
  const torch::NoGradGuard no_grad;
  after_ = squared_norms(weights);
}

void OutsideWriteMonitor::before_step(const TensorList& weights) {
  if (!after_.defined()) return;
  const torch::NoGradGuard no_grad;
  const torch::Tensor change = ((squared_norms(weights) - after_).abs() / after_.clamp_min(1e-300)).max();
  change_ = change_.defined() ? torch::maximum(change_, change) : change;
}

std::optional<double> OutsideWriteMonitor::largest_write() const {
  if (!change_.defined()) return std::nullopt;
  const double change = change_.item<double>();
  if (change <= kRounding) return std::nullopt;
  return change;
}

}  // namespace hpo::hypergrad
