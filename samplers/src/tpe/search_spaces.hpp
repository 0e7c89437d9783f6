#pragma once

#include <vector>

#include "hpo/frozen_trial.hpp"
#include "hpo/sampler.hpp"

namespace hpo::tpe {

// The parameters that every given trial has, with the same distribution (Optuna's
// IntersectionSearchSpace), without single-valued ones.
SearchSpace intersection_search_space(const std::vector<const FrozenTrial*>& trials);

// Optuna's _GroupDecomposedSearchSpace: the coarsest partition of all parameters such that
// each trial has every parameter of a group or none; single-valued ones left out.
std::vector<SearchSpace> group_decomposed_search_space(const std::vector<const FrozenTrial*>& trials);

}  // namespace hpo::tpe
