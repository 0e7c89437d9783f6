#pragma once

// Optuna's _heartbeat.py: the thread that keeps a running trial's heartbeat fresh.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "hpo/storage.hpp"

namespace hpo {

// Records a running trial's heartbeat, then refreshes it every interval until destroyed.
// The first heartbeat is written before the constructor returns, i.e. before the
// objective starts: a trial without a heartbeat row is never failed as stale, and a
// first beat left to the thread could lose the race for the storage to the objective's
// own writes until the trial ended, so a worker killed meanwhile left it RUNNING forever.
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
