#pragma once

// A child process that a test can kill at any moment: the crash tests' workers.

#include <sys/types.h>

#include <string>
#include <vector>

namespace hpo::reliability {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with stdout and stderr appended to `log_path`.
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // No test leaves a worker behind: one still running is killed and reaped.
  ~ChildProcess();

  void kill();
  // Waits for the end: the exit code, or 128 + the signal that ended it.
  int wait();
  // The same without blocking; -1 while it runs.
  int poll();

 private:
  // Kills and reaps the child if it still runs.
  void end();

  pid_t pid_ = -1;
  int status_ = -1;
};

}  // namespace hpo::reliability
