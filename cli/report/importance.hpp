#pragma once

#include <string>
#include <vector>

#include "hpo/frozen_trial.hpp"

namespace hpo::cli {

struct ParamImportance {
  std::string param;
  double omega_squared;  // share of the objective's rank variance that this param alone explains
  double share;          // omega_squared normalized over all params (sum 1, or all 0)
  std::size_t n_trials;  // trials that have the param
};

// How each parameter alone explains the objective: a first-order (main-effect) variance
// decomposition, the binned analogue of the main effects fANOVA reads off a random forest.
// The objective is replaced by its ranks (a diverged trial cannot dominate); each param's
// trials are cut into up to 10 equal-count bins of its internal value (one bin per value
// when it takes few); then omega² = (SS_between − (k−1)·MS_within) / (SS_total + MS_within),
// the correlation ratio corrected for the share that k random bins explain by chance,
// clipped at 0. Params with fewer than 4 trials are left out. Sorted, largest first.
// `trials`: finished trials with a finite value of objective `objective`.
std::vector<ParamImportance> first_order_importances(const std::vector<const FrozenTrial*>& trials,
                                                     const std::vector<std::string>& params,
                                                     std::size_t objective = 0);

inline constexpr const char* kImportanceEstimator =
    "first-order variance share: ω² (the correlation ratio corrected for chance) of the objective's ranks "
    "over up to 10 equal-count bins of each parameter, normalized to sum to 1 — the main effects of an "
    "fANOVA, estimated by binning instead of a random forest";

}  // namespace hpo::cli
