// create-study, delete-study, studies, study set-user-attr.
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

std::vector<StudyDirection> requested_directions(const po::variables_map& options) {
  if (options.count("direction") && options.count("directions")) {
    throw ValueError("give either --direction or --directions, not both");
  }
  std::vector<StudyDirection> directions;
  if (options.count("direction")) {
    directions.push_back(study_direction_from_string(options["direction"].as<std::string>()));
  }
  if (options.count("directions")) {
    for (const std::string& name : options["directions"].as<std::vector<std::string>>()) {
      directions.push_back(study_direction_from_string(name));
    }
  }
  if (directions.empty()) directions.push_back(StudyDirection::Minimize);
  return directions;
}

int create_study_command(const Invocation& call) {
  const std::vector<StudyDirection> directions = requested_directions(call.options);
  const bool skip_if_exists = call.options["skip-if-exists"].as<bool>();
  const Study study = create_study(open_cli_storage(call.global, MissingDatabase::Create),
                                   StudyOptions()
                                       .study_name(call.global.study_name.value_or(""))
                                       .directions(directions)
                                       .load_if_exists(skip_if_exists));
  call.console.info("Study '" + study.study_name() + "' is in " + call.global.storage_url + ".");
  call.console.out() << study.study_name() << '\n';
  return 0;
}

int delete_study_command(const Invocation& call) {
  const std::string& name = call.global.required_study_name();
  delete_study(*open_cli_storage(call.global, MissingDatabase::Refuse), name);
  call.console.info("Deleted study '" + name + "' from " + call.global.storage_url + ".");
  return 0;
}

int studies_command(const Invocation& call) {
  const auto storage = open_cli_storage(call.global, MissingDatabase::Refuse);
  print_records(study_records(get_all_study_summaries(*storage)),
                call.global.format_or(OutputFormat::Table), call.console.out());
  return 0;
}

int set_user_attr_command(const Invocation& call) {
  const std::string key = call.options["key"].as<std::string>();
  const std::string value = call.options["value"].as<std::string>();
  Study study = load_cli_study(call.global);
  study.set_user_attr(key, value);
  call.console.info("Set user attribute '" + key + "' of study '" + study.study_name() + "'.");
  return 0;
}

}  // namespace

std::vector<Command> study_commands() {
  return {
      {"create-study", "create a study and print its name (a new name when --study-name is not given)",
       [](po::options_description& options) {
         options.add_options()
             ("direction", po::value<std::string>()->value_name("minimize|maximize"),
              "the direction of a single objective (default: minimize)")
             ("directions", po::value<std::vector<std::string>>()->multitoken()->value_name("D..."),
              "one direction per objective, for a multi-objective study")
             ("skip-if-exists", po::bool_switch(), "succeed when the study already exists");
       },
       create_study_command},
      {"delete-study", "delete the study named by --study-name and all its trials",
       [](po::options_description&) {}, delete_study_command},
      {"studies", "list the studies in the storage", [](po::options_description&) {},
       studies_command},
      {"study set-user-attr", "set a user attribute of the study (the value is stored as a string)",
       [](po::options_description& options) {
         options.add_options()
             ("key", po::value<std::string>()->required()->value_name("KEY"), "attribute name")
             ("value", po::value<std::string>()->required()->value_name("VALUE"), "attribute value");
       },
       set_user_attr_command},
  };
}

}  // namespace hpo::cli
