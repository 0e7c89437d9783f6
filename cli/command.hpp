#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <vector>

#include "console.hpp"
#include "global_options.hpp"

namespace hpo::cli {

// What a command runs with.
struct Invocation {
  const boost::program_options::variables_map& options;  // the command's and the global ones
  const GlobalOptions& global;
  const Console& console;
};

// One `hpo` command. run() returns the exit code; errors are thrown (hpo::Error and
// boost::program_options::error become exit code 2, see main.cpp). A command without
// run() is carried out by the companion program hpo-optimize.
struct Command {
  std::string name;     // the words that select it: "trials", "study set-user-attr"
  std::string summary;  // one line for `hpo --help`
  std::function<void(boost::program_options::options_description&)> declare_options;
  std::function<int(const Invocation&)> run;
};

inline constexpr const char* kOptimizeSummary =
    "tune a built-in task (ridge, logistic, mlp) on a CSV file or IDX folder; rerun to add trials";

// The commands, by group (one file each in commands/).
std::vector<Command> study_commands();
std::vector<Command> trial_commands();
std::vector<Command> ask_tell_commands();
std::vector<Command> optimize_commands();
std::vector<Command> report_commands();
std::vector<Command> dashboard_commands();

}  // namespace hpo::cli
