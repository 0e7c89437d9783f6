#include "heartbeat.hpp"

#include <iostream>

#include "hpo/error.hpp"
#include "hpo/study.hpp"

namespace hpo {

HeartbeatThread::HeartbeatThread(Storage& storage, std::int64_t trial_id, std::chrono::milliseconds interval)
    : thread_((storage.record_heartbeat(trial_id),
               [this, &storage, trial_id, interval] { beat_until_stopped(storage, trial_id, interval); })) {}

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
  auto callback = storage_->failed_trial_callback();
  for (std::int64_t trial_id : storage_->get_stale_trial_ids(study_id_)) {
    try {
      storage_->set_trial_state_values(trial_id, TrialState::Fail);
    } catch (const UpdateFinishedTrialError&) {
      continue;  // another worker failed it first and runs the callback
    }
    if (callback) callback(*this, storage_->get_trial(trial_id));
  }
}

}  // namespace hpo
