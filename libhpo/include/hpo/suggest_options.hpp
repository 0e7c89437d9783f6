#pragma once

#include <cstdint>
#include <optional>

#include "hpo/arg.hpp"

namespace hpo {

// Optuna's keyword arguments of suggest_float and suggest_int, named so that a bare
// `true` or `16` cannot be taken for one another:
//   trial.suggest_float("lr", 1e-5, 1e-1, FloatOptions().log(true));
//   trial.suggest_int("units", 16, 1024, IntOptions().step(16));
struct FloatOptions {
  // Log-uniform in [low, high]; needs low > 0 and no step.
  HPO_ARG(bool, log) = false;
  // On the grid low + k * step.
  HPO_ARG(std::optional<double>, step);
};

struct IntOptions {
  // Log-uniform over the integers of [low, high]; needs low >= 1 and step 1.
  HPO_ARG(bool, log) = false;
  // On the grid low + k * step.
  HPO_ARG(std::int64_t, step) = 1;
};

}  // namespace hpo
