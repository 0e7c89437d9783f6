// The `hpo` program: finds the command, parses its options and turns errors into one line
// on stderr and an exit code (2 for bad input, 130 for Ctrl-C, 1 for anything else).
#include <boost/program_options.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "command.hpp"
#include "console.hpp"
#include "global_options.hpp"
#include "hpo/error.hpp"
#include "interrupt.hpp"

namespace po = boost::program_options;
using namespace hpo::cli;

namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitInterrupted = 130;
constexpr int kExitInternalError = 1;

std::vector<Command> all_commands() {
  std::vector<Command> commands;
  for (auto group : {study_commands, trial_commands, ask_tell_commands, report_commands, dashboard_commands}) {
    for (Command& command : group()) commands.push_back(std::move(command));
  }
#ifdef HPO_CLI_WITH_OPTIMIZE
  for (Command& command : optimize_commands()) commands.push_back(std::move(command));
#else
  commands.push_back({"optimize", kOptimizeSummary, nullptr, nullptr});  // run by hpo-optimize
#endif
  return commands;
}

// The command words ("trials", or "study set-user-attr") wherever they stand among the
// global options, and the remaining arguments.
struct SplitArguments {
  std::string command_name;
  std::vector<std::string> options;
};

SplitArguments split_arguments(const std::vector<std::string>& arguments) {
  SplitArguments split;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& word = arguments[i];
    const bool is_command_word = word.empty() || word[0] != '-';
    const bool continues_command = split.command_name == "study" && is_command_word &&
                                   i > 0 && arguments[i - 1] == "study";
    if (is_command_word && (split.command_name.empty() || continues_command)) {
      split.command_name += (split.command_name.empty() ? "" : " ") + word;
      continue;
    }
    split.options.push_back(word);
    if (global_option_takes_value(word) && i + 1 < arguments.size()) {
      split.options.push_back(arguments[++i]);
    }
  }
  return split;
}

// Boost reads "-2" as an option; no option of ours looks like a number, so a word that
// does is a value (as in "--values 1.5 -2").
std::vector<po::option> negative_number_as_value(std::vector<std::string>& arguments) {
  const std::string& word = arguments.front();
  char* end = nullptr;
  const bool is_negative_number = word.size() > 1 && word[0] == '-' &&
                                  (std::strtod(word.c_str(), &end), end == word.c_str() + word.size());
  if (!is_negative_number) return {};
  po::option value;
  value.position_key = 0;
  value.value.push_back(word);
  value.original_tokens.push_back(word);
  arguments.erase(arguments.begin());
  return {value};
}

po::variables_map parse_options(const std::vector<std::string>& arguments,
                                const po::options_description& description) {
  po::variables_map options;
  const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
  po::store(po::command_line_parser(arguments)
                .options(description)
                .positional(po::positional_options_description())  // no stray words
                .extra_style_parser(negative_number_as_value)
                .style(style)
                .run(),
            options);
  return options;
}

void print_overview(const std::vector<Command>& commands, std::ostream& out) {
  out << "usage: hpo COMMAND [options]\n\n"
         "Hyperparameter optimization with Optuna-compatible studies and hypergradient samplers.\n\n"
         "Commands:\n";
  for (const Command& command : commands) {
    out << "  " << command.name << std::string(command.name.size() < 22 ? 22 - command.name.size() : 1, ' ')
        << command.summary << '\n';
  }
  out << '\n' << global_options_description() << "\nRun 'hpo COMMAND --help' for a command's options.\n";
}

// Runs `hpo-optimize ARGUMENTS` in this process: the commands that need LibTorch live in
// that program, so that the others start fast (LibTorch loads hundreds of libraries).
[[noreturn]] void exec_companion_program(const std::vector<std::string>& arguments) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::filesystem::path companion = self.parent_path() / "hpo-optimize";
  if (error || !std::filesystem::exists(companion)) {
    throw hpo::ValueError("hpo optimize needs the program '" + companion.string() +
                          "', which is built with LibTorch (HPO_WITH_TORCH=ON)");
  }
  std::vector<std::string> words = {companion.string()};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  throw hpo::Error("cannot run '" + companion.string() + "': " + std::strerror(errno));
}

int run(const std::vector<std::string>& arguments) {
  const std::vector<Command> commands = all_commands();
  const SplitArguments split = split_arguments(arguments);
  if (split.command_name.empty()) {
    const po::variables_map options = parse_options(split.options, global_options_description());
    if (options["version"].as<bool>()) {
      std::cout << "hpo " << HPO_VERSION << '\n';
      return 0;
    }
    if (!options["help"].as<bool>()) throw hpo::ValueError("no command given (see hpo --help)");
    print_overview(commands, std::cout);
    return 0;
  }
  const Command* command = nullptr;
  for (const Command& candidate : commands) {
    if (candidate.name == split.command_name) command = &candidate;
  }
  if (command == nullptr) {
    throw hpo::ValueError("unknown command '" + split.command_name + "' (see hpo --help)");
  }
  if (!command->run) exec_companion_program(arguments);

  po::options_description command_options("Options of 'hpo " + command->name + "'");
  command->declare_options(command_options);
  po::options_description all_options;
  if (!command_options.options().empty()) all_options.add(command_options);
  all_options.add(global_options_description());
  po::variables_map options;
  try {
    options = parse_options(split.options, all_options);
    if (options["help"].as<bool>()) {
      std::cout << "usage: hpo " << command->name << " [options]\n\n"
                << command->summary << "\n\n" << all_options;
      return 0;
    }
    po::notify(options);  // reports missing required options
  } catch (const po::error& error) {
    throw hpo::ValueError(std::string(error.what()) + " (see hpo " + command->name + " --help)");
  }
  const GlobalOptions global = read_global_options(options);
  const Console console(global.verbosity);
  console.detail("hpo " + command->name + ": storage " + global.storage_url +
                 (global.study_name ? ", study '" + *global.study_name + "'" : ""));
  return command->run({options, global, console});
}

// One line, even when the message has several.
std::string single_line(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return message;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const Interrupted&) {
    std::cerr << "hpo: interrupted\n";
    return kExitInterrupted;
  } catch (const po::error& error) {
    std::cerr << "hpo: error: " << single_line(error.what()) << '\n';
    return kExitBadInput;
  } catch (const hpo::Error& error) {
    std::cerr << "hpo: error: " << single_line(error.what()) << '\n';
    return kExitBadInput;
  } catch (const std::exception& error) {
    std::cerr << "hpo: internal error: " << single_line(error.what()) << '\n';
    return kExitInternalError;
  }
}
