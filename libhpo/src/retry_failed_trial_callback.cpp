#include "hpo/retry_failed_trial_callback.hpp"

#include "hpo/study.hpp"

namespace hpo {

void RetryFailedTrialCallback::operator()(Study& study, const FrozenTrial& trial) const {
  if (std::optional<FrozenTrial> retry = retry_of(trial)) study.add_trial(*retry);
}

std::optional<FrozenTrial> RetryFailedTrialCallback::retry_of(const FrozenTrial& failed) const {
  AttrMap system_attrs = failed.system_attrs;
  system_attrs.erase("fail_reason");  // the retry has not failed
  if (!system_attrs.count("failed_trial")) system_attrs["failed_trial"] = failed.number;
  if (!system_attrs.count("retry_history")) system_attrs["retry_history"] = Json::array();
  system_attrs["retry_history"].push_back(failed.number);
  if (max_retry_ && static_cast<int>(system_attrs["retry_history"].size()) > *max_retry_) return std::nullopt;
  FrozenTrial retry;
  retry.state = TrialState::Waiting;
  retry.params = failed.params;
  retry.distributions = failed.distributions;
  retry.user_attrs = failed.user_attrs;
  retry.system_attrs = std::move(system_attrs);
  return retry;
}

}  // namespace hpo
