#pragma once

#include <chrono>
#include <string>

#include <SQLiteCpp/Exception.h>

#include "hpo/error.hpp"

namespace hpo::sqlite {

// SQLITE_BUSY / SQLITE_LOCKED: another connection holds a lock the statement needs.
bool is_lock_contention(const SQLite::Exception& e);

// Exponential backoff with jitter (1 ms doubling up to 100 ms) within a total budget.
// SQLite's own busy handler already waits inside most calls; these retries cover what it
// cannot (a lock needed mid-transaction, WAL recovery, journal-mode changes).
class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds budget);
  // Sleeps before the next attempt; false when the budget is spent.
  bool wait();

 private:
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::microseconds delay_{1000};
};

// Runs `attempt` until it finishes without lock contention. `attempt` must be a whole
// transaction (it is repeated from the start). Contention that outlasts `budget` becomes
// hpo::StorageError naming `path`; other SQLite errors become hpo::StorageError at once.
template <class F>
auto retry_on_contention(std::chrono::milliseconds budget, const std::string& path,
                         F&& attempt) -> decltype(attempt()) {
  Backoff backoff(budget);
  for (;;) {
    try {
      return attempt();
    } catch (const SQLite::Exception& e) {
      if (is_lock_contention(e) && backoff.wait()) continue;
      throw StorageError("SQLite error on '" + path + "': " + e.what() +
                         (is_lock_contention(e) ? " (still locked after the busy timeout)" : ""));
    }
  }
}

}  // namespace hpo::sqlite
