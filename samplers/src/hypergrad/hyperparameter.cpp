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
                               double high, bool log) {
  if (name.empty()) throw ValueError("a hyperparameter needs a non-empty name");
  check_bounds(name, low, high, log);
  check_initial(name, initial, low, high);
  const torch::NoGradGuard no_grad;
  const torch::Tensor external = initial.detach().clone();
  state_ = std::make_shared<State>(State{std::move(name), (log ? external.log() : external).requires_grad_(true),
                                         low, high, log});
}

Hyperparameter::Hyperparameter(std::string name, double initial, double low, double high,
                               bool log)
    : Hyperparameter(std::move(name), torch::tensor(initial, torch::kFloat64), low, high, log) {}

torch::Tensor Hyperparameter::value() const {
  return log() ? theta().exp() : theta().view_as(theta());
}

void Hyperparameter::set_value(const torch::Tensor& values) {
  const bool valid = values.defined() && values.sizes() == theta().sizes() &&
                     torch::isfinite(values).all().item<bool>() && (!log() || (values > 0).all().item<bool>());
  if (!valid) {
    std::ostringstream message;
    message << describe(name()) << ": set_value needs finite" << (log() ? " positive" : "") << " values of shape "
            << theta().sizes() << ", got ";
    if (!values.defined()) {
      message << "an undefined tensor";
    } else {
      message << "shape " << values.sizes();
      if (values.numel() > 0) message << " in [" << values.min().item<double>() << ", " << values.max().item<double>() << "]";
    }
    throw ValueError(message.str());
  }
  {
    const torch::NoGradGuard no_grad;
    const torch::Tensor external = values.detach().to(theta().device(), theta().scalar_type());
    state_->theta.copy_(log() ? external.log() : external);
  }
  project();
}

void Hyperparameter::project() {
  const torch::NoGradGuard no_grad;
  if (log()) {
    state_->theta.clamp_(std::log(low()), std::log(high()));
  } else {
    state_->theta.clamp_(low(), high());
  }
}

void Hyperparameter::to(torch::Dtype dtype) {
  if (theta().scalar_type() == dtype) return;
  const torch::NoGradGuard no_grad;
  state_->theta = theta().detach().to(dtype).requires_grad_(true);
  project();  // rounding to a narrower type may leave the box
}

double Hyperparameter::theta_range() const {
  return log() ? std::log(high()) - std::log(low()) : high() - low();
}

std::vector<double> Hyperparameter::values() const {
  const torch::Tensor external = value().detach().to(torch::kFloat64).cpu().contiguous();
  const double* data = external.data_ptr<double>();
  return std::vector<double>(data, data + external.numel());
}

}  // namespace hpo::hypergrad
