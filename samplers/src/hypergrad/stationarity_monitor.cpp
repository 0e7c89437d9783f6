#include "stationarity_monitor.hpp"

#include <algorithm>
#include <cmath>

#include "tensor_list.hpp"

namespace hpo::hypergrad {
namespace {

// Exponential moving averages over about (1 + β) / (1 − β) = 19 steps: long enough to
// average mini-batch noise and momentum oscillations, short enough to follow training.
constexpr double kBeta = 0.9;
// The mean gradient counts as zero within one standard error of its noise. Not more: the
// running mean of a full-batch momentum oscillation that has not yet died out is about
// half a standard deviation of the gradients, which two standard errors would accept.
constexpr double kStandardErrors = 1;
// Column sums in float64 of the same rows in another order agree to rounding (about
// rows × 1e-16 of the sum of magnitudes); those of two different mini-batches differ in
// the first digits.
constexpr double kSameRows = 1e-9;

// Σ and Σ|·| of each column (over dim 0), accumulated in float64: the same for the same
// rows in any order.
torch::Tensor column_sums(const torch::Tensor& t) {
  const torch::Tensor x = t.reshape({t.dim() == 0 ? 1 : t.size(0), -1});
  return torch::stack({x.sum(0, false, torch::kFloat64), (x.is_signed() ? x.abs() : x).sum(0, false, torch::kFloat64)});
}

// |Σ a − Σ b| / (Σ|a| + Σ|b|), largest over columns: zero when b holds a's rows in another order.
torch::Tensor column_sum_change(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a[0] - b[0]).abs() / (a[1] + b[1]).clamp_min(1e-300)).max();
}

}  // namespace

StationarityMonitor::StationarityMonitor(double tolerance, double decay, double min_tolerance,
                                         double value_tolerance)
    : tolerance_(tolerance), decay_(decay), min_tolerance_(min_tolerance), value_tolerance_(value_tolerance) {}

void StationarityMonitor::observe(const TensorList& gradients, const Batch& batch) {
  const torch::NoGradGuard no_grad;
  if (!batch.empty() && !batches_vary_) compare_with_last_batch(batch);
  if (mean_.empty()) {
    for (const torch::Tensor& g : gradients) mean_.push_back(g.defined() ? torch::zeros_like(g) : torch::Tensor());
  }
  torch::Tensor square = torch::zeros({}, torch::kFloat64);
  for (size_t i = 0; i < gradients.size(); ++i) {
    if (!gradients[i].defined() || !mean_[i].defined()) continue;
    mean_[i].mul_(kBeta).add_(gradients[i], 1 - kBeta);
    square = square + gradients[i].pow(2).sum().to(torch::kFloat64);
  }
  square_mean_ = square_mean_.defined() ? square_mean_ * kBeta + square * (1 - kBeta) : square * (1 - kBeta);
  ++count_;
}

void StationarityMonitor::compare_with_last_batch(const Batch& batch) {
  if (!last_batch_.empty()) {
    if (batch.size() != last_batch_.size()) batches_vary_ = true;
    for (size_t i = 0; i < batch.size() && !batches_vary_; ++i) {
      if (batch[i].is_same(last_batch_[i])) continue;
      if (batch[i].sizes() != last_batch_[i].sizes()) {
        batches_vary_ = true;
      } else if (batch[i].numel() > 0) {
        if (!last_sums_[i].defined()) last_sums_[i] = column_sums(last_batch_[i]);
        const torch::Tensor sums = column_sums(batch[i]);
        const torch::Tensor change = column_sum_change(sums, last_sums_[i]);
        batch_change_ = batch_change_.defined() ? torch::maximum(batch_change_, change) : change;
        last_sums_[i] = sums;
      }
    }
  }
  if (batches_vary_ || batch.size() != last_sums_.size()) last_sums_.assign(batch.size(), torch::Tensor());
  last_batch_ = batches_vary_ ? Batch{} : batch;
}

bool StationarityMonitor::batches_vary() const {
  return batches_vary_ || (batch_change_.defined() && batch_change_.item<double>() > kSameRows);
}

StationarityVerdict StationarityMonitor::check(int64_t hyper_steps) {
  if (count_ == 0) return {};
  if (!batches_vary_ && batches_vary()) {  // the rows changed: mini-batches, no more comparing
    batches_vary_ = true;
    last_batch_.clear();
    last_sums_.clear();
    batch_change_ = torch::Tensor();
  }
  const double correction = 1 - std::pow(kBeta, static_cast<double>(count_));
  TensorList defined;
  for (const torch::Tensor& m : mean_)
    if (m.defined()) defined.push_back(m);
  const torch::Tensor read = torch::stack({tensor_list::dot_on_device(defined, defined), square_mean_}).cpu();
  const double mean_squared = read[0].item<double>() / (correction * correction);
  const double square_mean = read[1].item<double>() / correction;
  const double mean_norm = std::sqrt(mean_squared);
  const double rms = std::sqrt(square_mean);
  if (!reference_) reference_ = mean_norm, reference_rms_ = rms;

  StationarityVerdict verdict;
  verdict.gradient_ratio = *reference_ > 0 ? mean_norm / *reference_ : 0;
  const double tolerance =
      std::max(tolerance_ * std::pow(decay_, static_cast<double>(hyper_steps)), min_tolerance_);
  // Per-step noise variance, and the variance of the running mean of `effective` steps.
  const double variance = std::max(square_mean - mean_squared, 0.0);
  const double effective = std::min(static_cast<double>(count_), (1 + kBeta) / (1 - kBeta));
  // A diverging run oscillates with growing gradients around a small mean: not a noise floor.
  const bool within_noise =
      batches_vary_ && mean_squared <= kStandardErrors * kStandardErrors * variance / effective && rms <= reference_rms_;
  verdict.stationary = verdict.gradient_ratio <= tolerance || within_noise;
  verdict.converged = verdict.gradient_ratio <= value_tolerance_ || within_noise;
  verdict.sampled = batches_vary_;
  verdict.stalled = !verdict.stationary && previous_ratio_ && verdict.gradient_ratio > 0.5 * *previous_ratio_;
  previous_ratio_ = verdict.gradient_ratio;
  return verdict;
}

void StationarityMonitor::restart() {
  const torch::NoGradGuard no_grad;
  for (torch::Tensor& m : mean_)
    if (m.defined()) m.zero_();
  square_mean_ = torch::Tensor();
  count_ = 0;
  previous_ratio_.reset();
}

}  // namespace hpo::hypergrad
