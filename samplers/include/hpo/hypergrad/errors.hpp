#pragma once

#include "hpo/error.hpp"

namespace hpo::hypergrad {

// Root of the failures of a hyper-step. They are hpo::TrialFailed: inside a study the
// trial ends as FAIL with what() as the reason and the study goes on.
class HypergradientError : public TrialFailed {
 public:
  using TrialFailed::TrialFailed;
};

// The validation loss or a hypergradient came out NaN or infinite. We throw instead of
// zeroing it: a zero would silently look like "this hyperparameter is already optimal".
class NonFiniteError : public HypergradientError {
 public:
  using HypergradientError::HypergradientError;
};

// An iterative approximation of H⁻¹v blew up (a Neumann series on a Hessian whose
// spectrum it cannot handle), so its result would be meaningless.
class DivergenceError : public HypergradientError {
 public:
  using HypergradientError::HypergradientError;
};

}  // namespace hpo::hypergrad
