// trials, best-trial, best-trials, export.
#include <fstream>
#include <string>
#include <vector>

#include "command.hpp"
#include "hpo/error.hpp"
#include "hpo/study.hpp"
#include "records.hpp"
#include "study_access.hpp"
#include "trial_records.hpp"

namespace po = boost::program_options;

namespace hpo::cli {

namespace {

int trials_command(const Invocation& call) {
  const Study study = load_cli_study(call.global);
  print_records(trial_records(study.trials(), study.directions().size()),
                call.global.format_or(OutputFormat::Table), call.console.out());
  return 0;
}

int best_trial_command(const Invocation& call) {
  const Study study = load_cli_study(call.global);
  if (study.is_multi_objective()) {
    throw ValueError("study '" + study.study_name() +
                     "' has several objectives; use best-trials for its Pareto front");
  }
  const Record best = trial_records({study.best_trial()}, 1).front();
  print_record(best, call.global.format_or(OutputFormat::Table), call.console.out());
  return 0;
}

int best_trials_command(const Invocation& call) {
  const Study study = load_cli_study(call.global);
  print_records(trial_records(study.best_trials(), study.directions().size()),
                call.global.format_or(OutputFormat::Table), call.console.out());
  return 0;
}

int export_command(const Invocation& call) {
  const Study study = load_cli_study(call.global);
  std::vector<Record> rows;
  for (const Record& record : trial_records(study.trials(), study.directions().size())) {
    rows.push_back(flatten_record(record));
  }
  if (!call.options.count("output")) {
    write_csv(rows, call.console.out());
    return 0;
  }
  const std::string path = call.options["output"].as<std::string>();
  std::ofstream file(path);
  if (!file) throw ValueError("cannot write the export file '" + path + "'");
  write_csv(rows, file);
  call.console.info("Wrote " + std::to_string(rows.size()) + " trials of study '" +
                    study.study_name() + "' to " + path + ".");
  return 0;
}

}  // namespace

std::vector<Command> trial_commands() {
  const auto no_options = [](po::options_description&) {};
  return {
      {"trials", "list the trials of the study", no_options, trials_command},
      {"best-trial", "show the best trial of a single-objective study", no_options, best_trial_command},
      {"best-trials", "list the Pareto-optimal trials of the study", no_options, best_trials_command},
      {"export", "write all trials as CSV: one column per parameter, values, state and times",
       [](po::options_description& options) {
         options.add_options()("output,o", po::value<std::string>()->value_name("FILE"),
                               "the CSV file to write (default: stdout)");
       },
       export_command},
  };
}

}  // namespace hpo::cli
