#pragma once

#include <iostream>
#include <string>

#include "global_options.hpp"

namespace hpo::cli {

// Where a command writes. Results go to stdout; messages about what happened go to
// stderr, so that `-f json` output stays parseable.
class Console {
 public:
  explicit Console(Verbosity verbosity) : verbosity_(verbosity) {}

  std::ostream& out() const { return std::cout; }
  // A message that --quiet silences.
  void info(const std::string& message) const {
    if (verbosity_ != Verbosity::Quiet) std::cerr << message << '\n';
  }
  // A message that only --verbose shows.
  void detail(const std::string& message) const {
    if (verbosity_ == Verbosity::Verbose) std::cerr << message << '\n';
  }
  Verbosity verbosity() const { return verbosity_; }

 private:
  Verbosity verbosity_;
};

}  // namespace hpo::cli
