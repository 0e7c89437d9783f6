#include "sqlite_retry.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include <sqlite3.h>

namespace hpo::sqlite {

bool is_lock_contention(const SQLite::Exception& e) {
  const int primary = e.getErrorCode() & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

Backoff::Backoff(std::chrono::milliseconds budget)
    : deadline_(std::chrono::steady_clock::now() + budget) {}

bool Backoff::wait() {
  const auto now = std::chrono::steady_clock::now();
  if (now >= deadline_) return false;
  // Jitter keeps workers that collided once from colliding again in lockstep.
  thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_int_distribution<std::int64_t> jitter(delay_.count() / 2, delay_.count());
  const auto sleep = std::min<std::chrono::steady_clock::duration>(
      std::chrono::microseconds(jitter(random)), deadline_ - now);
  std::this_thread::sleep_for(sleep);
  delay_ = std::min(delay_ * 2, std::chrono::microseconds(100000));
  return true;
}

}  // namespace hpo::sqlite
