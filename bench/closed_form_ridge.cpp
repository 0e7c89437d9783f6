#include "closed_form_ridge.hpp"

#include <cmath>
#include <random>

namespace {

// Solves S w = r for a symmetric positive definite S (row-major, d × d) by Cholesky.
std::vector<double> solve_positive_definite(std::vector<double> s, std::vector<double> r, std::size_t d) {
  for (std::size_t j = 0; j < d; ++j) {
    for (std::size_t k = 0; k < j; ++k) s[j * d + j] -= s[j * d + k] * s[j * d + k];
    s[j * d + j] = std::sqrt(s[j * d + j]);
    for (std::size_t i = j + 1; i < d; ++i) {
      for (std::size_t k = 0; k < j; ++k) s[i * d + j] -= s[i * d + k] * s[j * d + k];
      s[i * d + j] /= s[j * d + j];
    }
  }
  for (std::size_t i = 0; i < d; ++i) {  // L z = r
    for (std::size_t k = 0; k < i; ++k) r[i] -= s[i * d + k] * r[k];
    r[i] /= s[i * d + i];
  }
  for (std::size_t i = d; i-- > 0;) {  // Lᵀ w = z
    for (std::size_t k = i + 1; k < d; ++k) r[i] -= s[k * d + i] * r[k];
    r[i] /= s[i * d + i];
  }
  return r;
}

}  // namespace

ClosedFormRidge::ClosedFormRidge(std::size_t rows, std::size_t features, const std::vector<double>& relevant_weights,
                                 double noise, std::uint64_t seed)
    : n_features_(features), gram_(features * features, 0.0), moment_(features, 0.0) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal;
  std::vector<double> x(rows * features), y(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < features; ++j) {
      x[i * features + j] = normal(generator);
      if (j < relevant_weights.size()) y[i] += relevant_weights[j] * x[i * features + j];
    }
    y[i] += noise * normal(generator);
  }
  const std::size_t n_train = rows * 4 / 5;
  const auto standardize = [&](auto value_at, std::size_t stride) {
    double mean = 0, square = 0;
    for (std::size_t i = 0; i < n_train; ++i) mean += value_at(i * stride);
    mean /= static_cast<double>(n_train);
    for (std::size_t i = 0; i < n_train; ++i) square += std::pow(value_at(i * stride) - mean, 2);
    const double deviation = std::sqrt(square / static_cast<double>(n_train));
    for (std::size_t i = 0; i < rows; ++i) value_at(i * stride) = (value_at(i * stride) - mean) / deviation;
  };
  for (std::size_t j = 0; j < features; ++j) standardize([&](std::size_t at) -> double& { return x[at + j]; }, features);
  standardize([&](std::size_t at) -> double& { return y[at]; }, 1);
  const double scale = 1.0 / static_cast<double>(n_train);
  for (std::size_t i = 0; i < n_train; ++i)
    for (std::size_t j = 0; j < features; ++j) {
      moment_[j] += scale * x[i * features + j] * y[i];
      for (std::size_t k = 0; k < features; ++k) gram_[j * features + k] += scale * x[i * features + j] * x[i * features + k];
    }
  valid_x_.assign(x.begin() + static_cast<std::ptrdiff_t>(n_train * features), x.end());
  valid_y_.assign(y.begin() + static_cast<std::ptrdiff_t>(n_train), y.end());
}

double ClosedFormRidge::validation_loss(double global, const std::vector<double>& per_feature) const {
  std::vector<double> system = gram_;
  for (std::size_t j = 0; j < n_features_; ++j) system[j * n_features_ + j] += global + per_feature[j];
  const std::vector<double> w = solve_positive_definite(std::move(system), moment_, n_features_);
  double loss = 0;
  for (std::size_t i = 0; i < valid_y_.size(); ++i) {
    double prediction = 0;
    for (std::size_t j = 0; j < n_features_; ++j) prediction += valid_x_[i * n_features_ + j] * w[j];
    loss += 0.5 * std::pow(prediction - valid_y_[i], 2);
  }
  return loss / static_cast<double>(valid_y_.size());
}
