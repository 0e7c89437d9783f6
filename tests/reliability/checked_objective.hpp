#pragma once

// The objective every reliability worker runs. Its value, intermediate values and user
// attribute are all functions of its params, so a test can tell from the database alone
// whether a finished trial was stored whole (nothing torn or mixed up by a crash or by
// another worker).

#include <string>

#include "hpo/frozen_trial.hpp"
#include "hpo/trial.hpp"

namespace hpo::reliability {

// Suggests x, n and c, reports `steps` intermediate values (one write each, so that a
// kill lands inside a trial more often than between trials) and returns the value.
double checked_objective(Trial& trial, int steps);

// Empty when `trial` is COMPLETE and everything stored agrees with its params; otherwise
// what disagrees.
std::string check_complete_trial(const FrozenTrial& trial, int steps);

}  // namespace hpo::reliability
