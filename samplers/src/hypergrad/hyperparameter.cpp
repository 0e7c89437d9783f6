#include "hpo/hypergrad/hyperparameter.hpp"

#include <cmath>
#include <sstream>

#include "hpo/error.hpp"

namespace hpo::hypergrad {
namespace {

std::string describe(const std::string& name) { return "hyperparameter '" + name + "'"; }

void check_bounds(const std::string& name, double low, double high, bool log) {
  if (!std::isfinite(low) || !std::isfinite(high) || !(low < high)) {
    std::ostringstream message;
    message << describe(name) << ": bounds [" << low << ", " << high
            << "] must be finite with low < high";
    throw ValueError(message.str());
  }
  if (log && low <= 0) {
    std::ostringstream message;
    message << describe(name) << ": log scale needs low > 0, got low = " << low;
    throw ValueError(message.str());
  }
}

void check_initial(const std::string& name, const torch::Tensor& initial, double low,
                   double high) {
  if (!initial.defined() || initial.numel() == 0) {
    throw ValueError(describe(name) + ": initial value must be a non-empty tensor");
  }
  if (!initial.is_floating_point()) {
    throw ValueError(describe(name) + ": initial value must be a floating-point tensor, got " +
                     std::string(c10::toString(initial.scalar_type())));
  }
  const torch::Tensor values = initial.detach().to(torch::kFloat64).cpu();
  const double smallest = values.min().item<double>();
  const double largest = values.max().item<double>();
  if (!torch::isfinite(values).all().item<bool>() || smallest < low || largest > high) {
    std::ostringstream message;
    message << describe(name) << ": initial values in [" << smallest << ", " << largest
            << "] must be finite and inside the bounds [" << low << ", " << high << "]";
    throw ValueError(message.str());
  }
}

}  // namespace

Hyperparameter::Hyperparameter(std::string name, const torch::Tensor& initial, double low,
                               double high, bool log)
    : name_(std::move(name)), low_(low), high_(high), log_(log) {
  if (name_.empty()) throw ValueError("a hyperparameter needs a non-empty name");
  check_bounds(name_, low, high, log);
  check_initial(name_, initial, low, high);
  const torch::NoGradGuard no_grad;
  const torch::Tensor external = initial.detach().clone();
  theta_ = (log ? external.log() : external).requires_grad_(true);
}

Hyperparameter::Hyperparameter(std::string name, double initial, double low, double high,
                               bool log)
    : Hyperparameter(std::move(name), torch::tensor(initial, torch::kFloat64), low, high, log) {}

torch::Tensor Hyperparameter::value() const { return log_ ? theta_.exp() : theta_.view_as(theta_); }

void Hyperparameter::project() {
  const torch::NoGradGuard no_grad;
  if (log_) {
    theta_.clamp_(std::log(low_), std::log(high_));
  } else {
    theta_.clamp_(low_, high_);
  }
}

std::vector<double> Hyperparameter::values() const {
  const torch::Tensor external = value().detach().to(torch::kFloat64).cpu().contiguous();
  const double* data = external.data_ptr<double>();
  return std::vector<double>(data, data + external.numel());
}

}  // namespace hpo::hypergrad
