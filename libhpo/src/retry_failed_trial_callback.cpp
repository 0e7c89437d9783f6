#include "hpo/retry_failed_trial_callback.hpp"

#include "hpo/study.hpp"

namespace hpo {

void RetryFailedTrialCallback::operator()(Study& study, const FrozenTrial& trial) const {
  AttrMap system_attrs = trial.system_attrs;
  system_attrs.erase("fail_reason");  // the retry has not failed
  if (!system_attrs.count("failed_trial")) system_attrs["failed_trial"] = trial.number;
  if (!system_attrs.count("retry_history")) system_attrs["retry_history"] = Json::array();
  system_attrs["retry_history"].push_back(trial.number);
  if (max_retry_ && static_cast<int>(system_attrs["retry_history"].size()) > *max_retry_) return;
  FrozenTrial retry;
  retry.state = TrialState::Waiting;
  retry.params = trial.params;
  retry.distributions = trial.distributions;
  retry.user_attrs = trial.user_attrs;
  retry.system_attrs = std::move(system_attrs);
  study.add_trial(retry);
}

}  // namespace hpo
