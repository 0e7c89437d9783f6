#include "heartbeat.hpp"

#include <iostream>

#include "hpo/study.hpp"

namespace hpo {

HeartbeatThread::HeartbeatThread(Storage& storage, std::int64_t trial_id, std::chrono::milliseconds interval)
    : thread_([this, &storage, trial_id, interval] { beat_until_stopped(storage, trial_id, interval); }) {}

HeartbeatThread::~HeartbeatThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void HeartbeatThread::beat_until_stopped(Storage& storage, std::int64_t trial_id,
                                         std::chrono::milliseconds interval) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!cv_.wait_for(lock, interval, [this] { return stopped_; })) {
    lock.unlock();
    try {
      storage.record_heartbeat(trial_id);
    } catch (const std::exception& e) {
      // A missed beat only risks the trial being failed as stale later; it must not end
      // the process, as an exception escaping a thread would.
      std::cerr << "hpo: heartbeat of trial id " << trial_id << " failed: " << e.what() << "\n";
    }
    lock.lock();
  }
}

void Study::fail_stale_trials() {
  const FailedTrialCallback callback = storage_->failed_trial_callback();
  // Optuna's retry callback runs inside the storage's transaction that fails the trial,
  // so that a worker killed in between cannot lose the retry. Any other callback can use
  // the storage, so it runs afterwards.
  const RetryFailedTrialCallback* retry = callback ? callback.target<RetryFailedTrialCallback>() : nullptr;
  Storage::RetryOf retry_of;
  if (retry) retry_of = [retry](const FrozenTrial& failed) { return retry->retry_of(failed); };
  for (std::int64_t trial_id : storage_->get_stale_trial_ids(study_id_)) {
    const std::optional<FrozenTrial> failed = storage_->fail_stale_trial(trial_id, retry_of);
    if (failed && callback && !retry) callback(*this, *failed);
  }
}

}  // namespace hpo
