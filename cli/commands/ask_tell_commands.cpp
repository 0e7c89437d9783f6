// ask and tell: drive a study from any program through the shell.
#include <cstdlib>
#include <string>
#include <vector>

#include "command.hpp"
#include "hpo/distributions.hpp"
#include "hpo/error.hpp"
#include "hpo/json.hpp"
#include "hpo/study.hpp"
#include "records.hpp"
#include "sampler_spec.hpp"
#include "study_access.hpp"

namespace po = boost::program_options;

namespace hpo::cli {

namespace {

// {"x": <distribution JSON>, ...} in Optuna's long or short form.
SearchSpace parse_search_space(const std::string& text) {
  const Json json = parse_json(text);
  if (!json.is_object()) {
    throw ValueError("--search-space must be a JSON object mapping names to distributions, got " +
                     dump_json(json));
  }
  SearchSpace space;
  for (const auto& [name, description] : json.items()) {
    try {
      space.emplace(name, distribution_from_json_value(description));
    } catch (const ValueError& error) {
      throw ValueError("--search-space: parameter '" + name + "': " + error.what());
    }
  }
  return space;
}

// The storage checks a parameter against the distribution its name has in the study only
// once ask() has created the trial, which would leave a RUNNING trial behind; checking
// first keeps the database untouched by a conflicting --search-space.
void check_against_study(const Study& study, const SearchSpace& space) {
  for (const FrozenTrial& trial : study.trials()) {
    for (const auto& [name, distribution] : trial.distributions) {
      const auto asked = space.find(name);
      if (asked != space.end()) check_distribution_compatibility(name, distribution, asked->second);
    }
  }
}

int ask_command(const Invocation& call) {
  const std::string search_space_text =
      call.options.count("search-space") ? call.options["search-space"].as<std::string>() : "{}";
  const SearchSpace space = parse_search_space(search_space_text);
  const auto text = [&call](const char* key) {
    return call.options.count(key) ? std::optional<std::string>(call.options[key].as<std::string>()) : std::nullopt;
  };
  auto sampler = make_sampler_from_spec(text("sampler"), text("sampler-kwargs"));
  Study study = load_cli_study(call.global, std::move(sampler));
  check_against_study(study, space);
  const Trial trial = study.ask(space);
  call.console.info("Asked trial " + std::to_string(trial.number()) + " of study '" +
                    study.study_name() + "'.");
  print_record({{"number", trial.number()}, {"params", Json(trial.params())}},
               call.global.format_or(OutputFormat::Json), call.console.out());
  return 0;
}

double parse_value(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    throw ValueError("--values: '" + text + "' is not a number");
  }
  return value;
}

TrialState parse_told_state(const std::string& name) {
  const TrialState state = trial_state_from_string(name);
  if (!is_finished(state)) {
    throw ValueError("--state must be complete, pruned or fail, got '" + name + "'");
  }
  return state;
}

int tell_command(const Invocation& call) {
  const int number = call.options["trial-number"].as<int>();
  std::vector<double> values;
  if (call.options.count("values")) {
    for (const std::string& text : call.options["values"].as<std::vector<std::string>>()) {
      values.push_back(parse_value(text));
    }
  }
  const TrialState state = parse_told_state(call.options["state"].as<std::string>());
  const bool skip_if_finished = call.options["skip-if-finished"].as<bool>();
  Study study = load_cli_study(call.global);
  if (state == TrialState::Complete && values.size() != study.directions().size()) {
    throw ValueError("--values: study '" + study.study_name() + "' has " +
                     std::to_string(study.directions().size()) + " objective(s), got " +
                     std::to_string(values.size()) + " value(s)");
  }
  const FrozenTrial told = study.tell(number, values, state, skip_if_finished);
  call.console.info("Told trial " + std::to_string(number) + ": it is " + to_string(told.state) +
                    ".");
  return 0;
}

}  // namespace

std::vector<Command> ask_tell_commands() {
  return {
      {"ask", "start a trial, suggest the parameters of the search space, print its number and params",
       [](po::options_description& options) {
         options.add_options()(
             "search-space", po::value<std::string>()->value_name("JSON"),
             R"(e.g. '{"x": {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1}}}' )"
             R"(or the short form '{"x": {"type": "float", "low": 0, "high": 1}}')")
             ("sampler", po::value<std::string>()->value_name("NAME"),
              "TPESampler (the default) or RandomSampler")
             ("sampler-kwargs", po::value<std::string>()->value_name("JSON"),
              R"(the sampler's options, e.g. '{"seed": 0, "multivariate": true}')");
       },
       ask_command},
      {"tell", "finish a trial with its objective value(s) or state",
       [](po::options_description& options) {
         options.add_options()
             ("trial-number", po::value<int>()->required()->value_name("N"), "the trial to finish")
             ("values", po::value<std::vector<std::string>>()->multitoken()->value_name("V..."),
              "one objective value per direction (needed for state complete)")
             ("state", po::value<std::string>()->default_value("complete")->value_name("STATE"),
              "complete, pruned or fail")
             ("skip-if-finished", po::bool_switch(),
              "succeed without changes when the trial is already finished");
       },
       tell_command},
  };
}

}  // namespace hpo::cli
