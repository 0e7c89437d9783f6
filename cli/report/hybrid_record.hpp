#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hpo/frozen_trial.hpp"

namespace hpo::cli {

// What the hybrid sampler recorded about one trial: the system attributes `hybrid:mode`,
// `hybrid:parent` and `hypergrad`. Read tolerantly: a missing or malformed key leaves its
// field empty, and the report leaves out what needs it.
struct HybridRecord {
  std::optional<std::string> mode;  // startup, explore, exploit
  std::optional<int> parent;        // the trial an exploit trial started from
  std::map<std::string, double> initial_params;
  std::vector<double> hypergradient_norms;  // per hyper-step; NaN where one was not a number
  std::optional<std::string> method;
  std::optional<long long> hyper_steps;
  // A trial refined across whole runs: each run's validation loss, and which was best (1-based).
  std::vector<double> whole_runs;
  std::optional<int> best_run;

  bool empty() const {
    return !mode && !parent && initial_params.empty() && hypergradient_norms.empty() && !method;
  }
};

HybridRecord read_hybrid_record(const AttrMap& system_attrs);

}  // namespace hpo::cli
