#pragma once

// Arithmetic on lists of tensors shaped like the model parameters (internal helper).

#include <cmath>

#include <torch/types.h>

#include "hpo/hypergrad/training_gradient.hpp"

namespace hpo::hypergrad::tensor_list {

// Σ a_i·b_i as a float64 scalar tensor on the tensors' device: summing there and reading
// the total once costs one device synchronization instead of one per tensor.
inline torch::Tensor dot_on_device(const TensorList& a, const TensorList& b) {
  torch::Tensor total;
  for (size_t i = 0; i < a.size(); ++i) {
    const torch::Tensor term = (a[i] * b[i]).sum().to(torch::kFloat64);
    total = total.defined() ? total + term : term;
  }
  return total.defined() ? total : torch::zeros({}, torch::kFloat64);
}

inline double dot(const TensorList& a, const TensorList& b) { return dot_on_device(a, b).item<double>(); }

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

// a += alpha * b with alpha a scalar tensor on the device (no synchronization).
inline void add_scaled(TensorList& a, const TensorList& b, const torch::Tensor& alpha) {
  for (size_t i = 0; i < a.size(); ++i) a[i].add_(b[i] * alpha.to(b[i].scalar_type()));
}

inline TensorList scaled(const TensorList& a, double alpha) {
  TensorList result;
  result.reserve(a.size());
  for (const torch::Tensor& t : a) result.push_back(t * alpha);
  return result;
}

inline bool all_finite(const TensorList& a) {
  torch::Tensor finite;
  for (const torch::Tensor& t : a) {
    const torch::Tensor all = torch::isfinite(t).all();
    finite = finite.defined() ? finite.logical_and(all) : all;
  }
  return !finite.defined() || finite.item<bool>();
}

}  // namespace hpo::hypergrad::tensor_list
