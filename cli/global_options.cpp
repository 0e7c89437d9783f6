#include "global_options.hpp"

#include <cstdlib>

#include "hpo/error.hpp"

namespace po = boost::program_options;

namespace hpo::cli {

namespace {

constexpr const char* kDefaultStorage = "sqlite:///hpo.db";

OutputFormat parse_format(const std::string& name) {
  if (name == "table") return OutputFormat::Table;
  if (name == "json") return OutputFormat::Json;
  throw ValueError("--format must be table or json, got '" + name + "'");
}

}  // namespace

const std::string& GlobalOptions::required_study_name() const {
  if (!study_name || study_name->empty()) throw ValueError("--study-name is required");
  return *study_name;
}

po::options_description global_options_description() {
  po::options_description options("Global options");
  options.add_options()
      ("storage", po::value<std::string>()->value_name("URL"),
       "study database, e.g. sqlite:///study.db (default: $HPO_STORAGE, else sqlite:///hpo.db)")
      ("study-name", po::value<std::string>()->value_name("NAME"), "the study to work on")
      ("format,f", po::value<std::string>()->value_name("FORMAT"),
       "output format: table or json (default: table; json for ask)")
      ("quiet,q", po::bool_switch(), "print only results and errors")
      ("verbose,v", po::bool_switch(), "print more details")
      ("version", po::bool_switch(), "print the version and exit")
      ("help,h", po::bool_switch(), "describe the command and its options");
  return options;
}

bool global_option_takes_value(const std::string& word) {
  return word == "--storage" || word == "--study-name" || word == "--format" || word == "-f";
}

GlobalOptions read_global_options(const po::variables_map& options) {
  GlobalOptions global;
  if (options.count("storage")) {
    global.storage_url = options["storage"].as<std::string>();
  } else if (const char* from_environment = std::getenv("HPO_STORAGE");
             from_environment != nullptr && *from_environment != '\0') {
    global.storage_url = from_environment;
  } else {
    global.storage_url = kDefaultStorage;
  }
  if (options.count("study-name")) global.study_name = options["study-name"].as<std::string>();
  if (options.count("format")) global.format = parse_format(options["format"].as<std::string>());
  const bool quiet = options["quiet"].as<bool>();
  const bool verbose = options["verbose"].as<bool>();
  if (quiet && verbose) throw ValueError("--quiet and --verbose exclude each other");
  global.verbosity = quiet ? Verbosity::Quiet : verbose ? Verbosity::Verbose : Verbosity::Normal;
  return global;
}

}  // namespace hpo::cli
