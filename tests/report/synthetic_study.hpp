#pragma once

// Studies shaped like the hybrid sampler's, written straight through the Storage API, so
// that the report tests need no LibTorch and run in milliseconds.

#include <cstdint>
#include <string>

#include "hpo/arg.hpp"
#include "hpo/storage.hpp"

namespace hpo::report_test {

struct SyntheticStudyOptions {
  HPO_ARG(int, n_trials) = 40;
  HPO_ARG(int, n_features) = 8;   // the vector hyperparameter feature_l2[0..n-1]
  HPO_ARG(bool, hybrid) = true;   // hypergrad records, hybrid:mode and hybrid:parent
  HPO_ARG(int, hyper_steps) = 5;  // intermediate values (and hypergradient norms) per trial
  HPO_ARG(std::uint64_t, seed) = 1;
};

// Creates the study `name` (minimize) and adds finished trials: the value depends mostly
// on the param l2 (log-uniform), a little on feature_l2[i] and the categorical
// `optimizer`; every 7th trial is PRUNED after 2 hyper-steps, every 9th FAILs.
// Returns the study id.
std::int64_t add_synthetic_study(Storage& storage, const std::string& name, const SyntheticStudyOptions& options = {});

// CPU seconds a report of 10,000 synthetic trials may take to read and render: about
// 0.6 s in an ordinary build; AddressSanitizer and UBSan make it about six times slower.
#ifdef HPO_SANITIZED
inline constexpr double kTenThousandTrialsRenderBudget = 15.0;
#else
inline constexpr double kTenThousandTrialsRenderBudget = 3.0;
#endif

// Appends one COMPLETE trial with the same params to study `study_id`; returns its number.
int add_synthetic_trial(Storage& storage, std::int64_t study_id, int seed);

}  // namespace hpo::report_test
