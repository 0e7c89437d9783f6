#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>

namespace hpo::cli {

enum class OutputFormat { Table, Json };
enum class Verbosity { Quiet, Normal, Verbose };

// The options that every command accepts.
struct GlobalOptions {
  std::string storage_url;
  std::optional<std::string> study_name;
  std::optional<OutputFormat> format;  // unset: the command's default
  Verbosity verbosity = Verbosity::Normal;

  // Throws hpo::ValueError when --study-name was not given.
  const std::string& required_study_name() const;
  OutputFormat format_or(OutputFormat command_default) const { return format.value_or(command_default); }
};

// --storage, --study-name, --format, --quiet, --verbose, --help (and --version, which
// only the bare `hpo` command acts on).
boost::program_options::options_description global_options_description();

// True for the global options written as a separate word followed by their value
// ("--storage URL", "-f json"), so that the command word can be found around them.
bool global_option_takes_value(const std::string& word);

// The storage defaults to $HPO_STORAGE, then to sqlite:///hpo.db. Throws hpo::ValueError
// for an unknown format or --quiet together with --verbose.
GlobalOptions read_global_options(const boost::program_options::variables_map& options);

}  // namespace hpo::cli
