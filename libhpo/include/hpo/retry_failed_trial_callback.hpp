#pragma once

#include <optional>

#include "hpo/frozen_trial.hpp"

namespace hpo {

class Study;

// Re-enqueues a trial that the heartbeat check failed, with Optuna's `failed_trial` and
// `retry_history` system attributes; gives up after `max_retry` retries when set.
class RetryFailedTrialCallback {
 public:
  explicit RetryFailedTrialCallback(std::optional<int> max_retry = std::nullopt)
      : max_retry_(max_retry) {}
  void operator()(Study& study, const FrozenTrial& trial) const;
  // The WAITING trial that retries `failed`, or nullopt past max_retry. When a storage's
  // failed_trial_callback is this class, Study passes this to Storage::fail_stale_trial,
  // which enqueues the retry in the transaction that fails the trial.
  std::optional<FrozenTrial> retry_of(const FrozenTrial& failed) const;

 private:
  std::optional<int> max_retry_;
};

}  // namespace hpo
