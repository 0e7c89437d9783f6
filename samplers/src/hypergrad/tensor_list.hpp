#pragma once

// Arithmetic on lists of tensors shaped like the model parameters (internal helper).

#include <cmath>

#include <torch/types.h>

#include "hpo/hypergrad/training_gradient.hpp"

namespace hpo::hypergrad::tensor_list {

inline double dot(const TensorList& a, const TensorList& b) {
  torch::Tensor total = torch::zeros({}, torch::kFloat64);
  for (size_t i = 0; i < a.size(); ++i) {
    total += (a[i] * b[i]).sum().to(torch::kFloat64).cpu();
  }
  return total.item<double>();
}

inline double norm(const TensorList& a) { return std::sqrt(dot(a, a)); }

inline TensorList detached_clone(const TensorList& a) {
  TensorList copy;
  copy.reserve(a.size());
  for (const torch::Tensor& t : a) copy.push_back(t.detach().clone());
  return copy;
}

inline TensorList zeros_like(const TensorList& a) {
  TensorList zeros;
  zeros.reserve(a.size());
  for (const torch::Tensor& t : a) zeros.push_back(torch::zeros_like(t));
  return zeros;
}

// a += alpha * b, in place.
inline void add_scaled(TensorList& a, const TensorList& b, double alpha) {
  for (size_t i = 0; i < a.size(); ++i) a[i].add_(b[i], alpha);
}

inline TensorList scaled(const TensorList& a, double alpha) {
  TensorList result;
  result.reserve(a.size());
  for (const torch::Tensor& t : a) result.push_back(t * alpha);
  return result;
}

inline bool all_finite(const TensorList& a) {
  for (const torch::Tensor& t : a) {
    if (!torch::isfinite(t).all().item<bool>()) return false;
  }
  return true;
}

}  // namespace hpo::hypergrad::tensor_list
