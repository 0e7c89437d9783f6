#pragma once

#include <chrono>
#include <optional>
#include <ostream>

#include "global_options.hpp"
#include "hpo/frozen_trial.hpp"

namespace hpo::cli {

// Reports finished trials of an optimize run: on a terminal one bar line rewritten in place
// (trial count, best value, elapsed time, ETA), elsewhere one line per trial.
class Progress {
 public:
  // `n_trials`/`timeout` bound the run (for the bar and the ETA); `best` is the best
  // value in the study before the run.
  Progress(std::ostream& out, bool terminal, Verbosity verbosity, std::optional<int> n_trials,
           std::optional<std::chrono::duration<double>> timeout, std::optional<double> best);

  void trial_finished(const FrozenTrial& trial);
  // Ends the bar's line.
  void finish();

 private:
  std::string status() const;  // "9/20 trials  best 0.1234 (trial 7)  0:12 elapsed  ETA 0:15"
  std::optional<double> fraction_done() const;

  std::ostream& out_;
  bool terminal_;
  Verbosity verbosity_;
  std::optional<int> n_trials_;
  std::optional<std::chrono::duration<double>> timeout_;
  std::optional<double> best_value_;
  std::optional<int> best_number_;
  int finished_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool bar_shown_ = false;
};

}  // namespace hpo::cli
