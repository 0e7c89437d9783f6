#pragma once

// Optuna's _heartbeat.py: the thread that keeps a running trial's heartbeat fresh.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "hpo/storage.hpp"

namespace hpo {

// Refreshes a running trial's heartbeat every interval until destroyed. The first
// heartbeat is the storage's: it comes with the trial's creation (or claim), in the same
// transaction, so no moment exists when a killed worker leaves its trial RUNNING without
// one (a trial without a heartbeat row is never failed as stale).
class HeartbeatThread {
 public:
  HeartbeatThread(Storage& storage, std::int64_t trial_id, std::chrono::milliseconds interval);
  ~HeartbeatThread();
  HeartbeatThread(const HeartbeatThread&) = delete;
  HeartbeatThread& operator=(const HeartbeatThread&) = delete;

 private:
  void beat_until_stopped(Storage& storage, std::int64_t trial_id, std::chrono::milliseconds interval);

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace hpo
