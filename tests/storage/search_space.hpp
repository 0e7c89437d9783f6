#pragma once

#include <vector>

#include "hpo/trial.hpp"

namespace hpo::test {

// The search space the storage tests' workers use; optuna_xcheck.py has the same one, so
// that C++ and Python can continue each other's studies.
inline const std::vector<Json> kChoices = {"sgd", "adam", nullptr, 3, 2.5, true};

inline double suggest_all(Trial& t) {
  const double lr = t.suggest_float("lr", 1e-5, 0.1, FloatOptions().log(true));
  const double frac = t.suggest_float("frac", 0.0, 1.0, FloatOptions().step(0.1));
  const std::int64_t units = t.suggest_int("units", 0, 100, IntOptions().step(5));
  const std::int64_t batch = t.suggest_int("batch", 1, 1024, IntOptions().log(true));
  t.suggest_categorical("opt", kChoices);
  return lr * 100 + frac + static_cast<double>(units + batch) / 1000;
}

}  // namespace hpo::test
