// Optuna's _optimize.py: the loop that asks, runs the objective and finishes trials.
#include "hpo/study.hpp"

#include "heartbeat.hpp"
#include "hpo/error.hpp"

namespace hpo {

void Study::optimize(const Objective& objective, const OptimizeOptions& options) {
  if (is_multi_objective())
    throw Error("study '" + study_name_ + "' has " + std::to_string(directions_.size()) +
                " objectives, so the objective must return that many values");
  run_trials([&objective](Trial& t) { return std::vector<double>{objective(t)}; }, options);
}

void Study::optimize(const MultiObjective& objective, const OptimizeOptions& options) {
  run_trials(objective, options);
}

void Study::stop() { stop_requested_->store(true); }

void Study::run_trials(const MultiObjective& objective, const OptimizeOptions& options) {
  if (options.n_trials() && *options.n_trials() < 0)
    throw ValueError("n_trials " + std::to_string(*options.n_trials()) + " is negative, expected >= 0");
  stop_requested_->store(false);
  auto start = Clock::now();
  for (int n = 0; !stop_requested_->load(); ++n) {
    if (options.n_trials() && n >= *options.n_trials()) break;
    if (options.timeout() && Clock::now() - start >= *options.timeout()) break;
    FrozenTrial finished = run_one_trial(objective, options);
    for (const auto& callback : options.callbacks()) callback(*this, finished);
  }
}

FrozenTrial Study::run_one_trial(const MultiObjective& objective, const OptimizeOptions& options) {
  auto heartbeat_interval = storage_->heartbeat_interval();
  if (heartbeat_interval) fail_stale_trials();
  Trial trial = ask();

  std::vector<double> values;
  TrialState state = TrialState::Complete;
  std::string reason;
  std::exception_ptr error;
  bool caught = false;
  {
    std::optional<HeartbeatThread> heartbeat;
    if (heartbeat_interval) heartbeat.emplace(*storage_, trial.trial_id(), *heartbeat_interval);
    try {
      values = objective(trial);
    } catch (const TrialPruned&) {
      state = TrialState::Pruned;
    } catch (const TrialFailed& e) {
      state = TrialState::Fail;
      reason = e.what();
    } catch (const std::exception& e) {
      state = TrialState::Fail;
      reason = std::string(e.what());
      error = std::current_exception();
      caught = options.catch_if() && options.catch_if()(e);
    } catch (...) {
      state = TrialState::Fail;
      reason = "the objective threw an exception that is not a std::exception";
      error = std::current_exception();
    }
    trial.finalize(state, reason);
  }
  // The trial's own handle saw every write of the objective: no need to read it back.
  FrozenTrial finished = finish_trial(trial.snapshot(), values, state, reason);
  if (error && !caught) std::rethrow_exception(error);
  return finished;
}

}  // namespace hpo
