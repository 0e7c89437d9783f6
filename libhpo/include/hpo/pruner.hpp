#pragma once

#include <cstdint>

#include "hpo/arg.hpp"
#include "hpo/frozen_trial.hpp"

namespace hpo {

class Study;

// Decides, from the intermediate values reported so far, whether a trial should stop.
class Pruner {
 public:
  virtual ~Pruner() = default;
  virtual bool prune(const Study& study, const FrozenTrial& trial) = 0;
};

// Never prunes.
class NopPruner : public Pruner {
 public:
  bool prune(const Study& study, const FrozenTrial& trial) override;
};

struct PercentilePrunerOptions {
  // Trials before this many have finished are never pruned.
  HPO_ARG(int, n_startup_trials) = 5;
  // Steps below this are never pruned.
  HPO_ARG(std::int64_t, n_warmup_steps) = 0;
  // Prune only at steps n_warmup_steps + k * interval_steps.
  HPO_ARG(std::int64_t, interval_steps) = 1;
  // Compare only when at least this many finished trials reported at the step.
  HPO_ARG(int, n_min_trials) = 1;
};

// Prunes a trial whose best intermediate value so far is worse than the given percentile
// of the other finished trials' best values at the same step (Optuna's PercentilePruner).
class PercentilePruner : public Pruner {
 public:
  explicit PercentilePruner(double percentile, PercentilePrunerOptions options = {});
  bool prune(const Study& study, const FrozenTrial& trial) override;

 private:
  double percentile_;
  PercentilePrunerOptions options_;
};

// The 50th percentile: worse than the median of the others at the same step.
class MedianPruner : public PercentilePruner {
 public:
  explicit MedianPruner(PercentilePrunerOptions options = {}) : PercentilePruner(50.0, options) {}
};

}  // namespace hpo
