// The study-management commands of the built `hpo` program: output (table and JSON),
// exit codes, and databases left untouched by bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "hpo_process.hpp"

namespace hpo::cli_test {
namespace {

const std::vector<std::string> kStudy = {"--study-name", "s"};
const std::string kSpace =
    R"({"x": {"name": "FloatDistribution", "attributes": {"low": -1.0, "high": 1.0, "log": false, "step": null}},)"
    R"( "n": {"type": "int", "low": 1, "high": 4}, "c": {"type": "categorical", "choices": ["a", "b"]}})";

class CommandsTest : public HpoTest {
 protected:
  // Runs hpo and expects success; returns stdout.
  std::string ok(const std::vector<std::string>& arguments) const {
    const RunResult result = hpo(arguments);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }
  Json ok_json(const std::vector<std::string>& arguments) const {
    return parse_output(ok(args({arguments, {"-f", "json"}})));
  }
  void create(const std::vector<std::string>& extra = {}) const {
    EXPECT_EQ(ok(args({{"create-study"}, storage(), kStudy, extra})), "s\n");
  }
  Json ask() const { return ok_json(args({{"ask"}, storage(), kStudy, {"--search-space", kSpace}})); }
  void tell(int number, const std::vector<std::string>& rest) const {
    ok(args({{"tell"}, storage(), kStudy, {"--trial-number", std::to_string(number)}, rest}));
  }
  // Expects exit code 2 and a single line on stderr containing `message`.
  void expect_bad_input(const std::vector<std::string>& arguments, const std::string& message) const {
    const RunResult result = hpo(arguments);
    std::string command = "hpo";
    for (const std::string& word : arguments) command += " " + word;
    EXPECT_EQ(result.exit_code, 2) << command;
    EXPECT_TRUE(result.out.empty()) << result.out;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  }
};

// The table's cells: header names, then one vector per row.
std::vector<std::vector<std::string>> table_cells(const std::string& table) {
  std::vector<std::vector<std::string>> rows;
  std::size_t start = 0;
  while (start < table.size()) {
    const std::size_t end = table.find('\n', start);
    const std::string line = table.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] != '|') continue;
    std::vector<std::string> cells;
    std::size_t from = 1;
    for (std::size_t bar = line.find(" |", from); bar != std::string::npos; bar = line.find(" |", from)) {
      std::string cell = line.substr(from, bar - from);
      cell.erase(0, cell.find_first_not_of(' '));
      cell.erase(cell.find_last_not_of(' ') + 1);
      cells.push_back(cell);
      from = bar + 2;
    }
    rows.push_back(cells);
  }
  return rows;
}

TEST_F(CommandsTest, VersionAndHelp) {
  EXPECT_EQ(ok({"--version"}), "hpo 0.1.0\n");
  const std::string overview = ok({"--help"});
  const std::vector<std::string> commands = {"create-study", "delete-study", "studies", "study set-user-attr",
                                             "trials",       "best-trial",   "best-trials", "ask",
                                             "tell",         "export"};
  for (const std::string& command : commands) {
    EXPECT_NE(overview.find("  " + command + " "), std::string::npos) << command;
    std::vector<std::string> words;
    for (std::size_t from = 0; from <= command.size();) {
      const std::size_t space = std::min(command.find(' ', from), command.size());
      words.push_back(command.substr(from, space - from));
      from = space + 1;
    }
    words.push_back("--help");
    const std::string help = ok(words);
    EXPECT_EQ(help.rfind("usage: hpo " + command + " [options]", 0), 0u) << help;
    EXPECT_NE(help.find("--storage"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(folder() / "hpo.db"));
}

TEST_F(CommandsTest, CreateStudyVariants) {
  create();
  expect_bad_input(args({{"create-study"}, storage(), kStudy}), "'s' already exists");
  create({"--skip-if-exists"});
  const std::string generated = ok(args({{"create-study"}, storage(), {"--directions", "minimize", "maximize"}}));
  ASSERT_FALSE(generated.empty());
  const Json studies = ok_json(args({{"studies"}, storage()}));
  ASSERT_EQ(studies.size(), 2u);
  EXPECT_EQ(studies[0]["name"], "s");
  EXPECT_EQ(studies[0]["directions"], Json::parse(R"(["MINIMIZE"])"));
  EXPECT_EQ(studies[0]["n_trials"], 0);
  EXPECT_EQ(studies[1]["name"], generated.substr(0, generated.size() - 1));
  EXPECT_EQ(studies[1]["directions"], Json::parse(R"(["MINIMIZE", "MAXIMIZE"])"));
  expect_bad_input(args({{"create-study"}, storage(), {"--study-name", "t", "--direction", "up"}}), "up");
  expect_bad_input(args({{"create-study"}, storage(), {"--study-name", "t", "--direction", "minimize",
                                                      "--directions", "maximize"}}),
                   "either --direction or --directions");
}

TEST_F(CommandsTest, DefaultStorageAndEnvironment) {
  EXPECT_EQ(hpo(args({{"create-study"}, kStudy})).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(folder() / "hpo.db"));
  const RunResult from_environment =
      hpo({"create-study", "--study-name", "e"}, {"HPO_STORAGE=sqlite:///env.db"});
  EXPECT_EQ(from_environment.exit_code, 0) << from_environment.err;
  EXPECT_TRUE(std::filesystem::exists(folder() / "env.db"));
  const Json studies = parse_output(hpo({"studies", "-f", "json"}, {"HPO_STORAGE=sqlite:///env.db"}).out);
  ASSERT_EQ(studies.size(), 1u);
  EXPECT_EQ(studies[0]["name"], "e");
}

TEST_F(CommandsTest, AskTellRoundTrip) {
  create();
  const Json first = ask();
  EXPECT_EQ(first["number"], 0);
  const double x = first["params"]["x"].get<double>();
  EXPECT_GE(x, -1.0);
  EXPECT_LE(x, 1.0);
  EXPECT_TRUE(first["params"]["n"].is_number_integer());
  EXPECT_TRUE(first["params"]["c"] == "a" || first["params"]["c"] == "b");
  tell(0, {"--values", "-0.25"});  // a negative number is a value, not an option

  const std::vector<std::vector<std::string>> asked =
      table_cells(ok(args({{"ask"}, storage(), kStudy, {"-f", "table", "--search-space", kSpace}})));
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0], (std::vector<std::string>{"number", "params"}));
  EXPECT_EQ(asked[1][0], "1");
  tell(1, {"--state", "pruned"});
  ask();
  tell(2, {"--state", "fail"});
  ask();

  const Json trials = ok_json(args({{"trials"}, storage(), kStudy}));
  ASSERT_EQ(trials.size(), 4u);
  EXPECT_EQ(trials[0]["value"], -0.25);
  EXPECT_EQ(trials[0]["params"], first["params"]);
  EXPECT_EQ(trials[0]["state"], "COMPLETE");
  EXPECT_TRUE(trials[0]["duration"].is_string());
  EXPECT_EQ(trials[1]["state"], "PRUNED");
  EXPECT_EQ(trials[2]["state"], "FAIL");
  EXPECT_EQ(trials[3]["state"], "RUNNING");
  EXPECT_TRUE(trials[3]["value"].is_null());

  const std::vector<std::vector<std::string>> table = table_cells(ok(args({{"trials"}, storage(), kStudy})));
  ASSERT_EQ(table.size(), 5u);
  EXPECT_EQ(table[0], (std::vector<std::string>{"number", "value", "datetime_start", "datetime_complete",
                                                "duration", "params", "state"}));
  EXPECT_EQ(table[1][1], "-0.25");
  EXPECT_EQ(table[4][6], "RUNNING");

  const Json best = ok_json(args({{"best-trial"}, storage(), kStudy}));
  EXPECT_EQ(best["number"], 0);
  EXPECT_EQ(best["value"], -0.25);
  const Json best_trials = ok_json(args({{"best-trials"}, storage(), kStudy}));
  ASSERT_EQ(best_trials.size(), 1u);
  EXPECT_EQ(best_trials[0]["number"], 0);

  expect_bad_input(args({{"tell"}, storage(), kStudy, {"--trial-number", "0", "--values", "1"}}),
                   "already COMPLETE");
  ok(args({{"tell"}, storage(), kStudy, {"--trial-number", "0", "--values", "1", "--skip-if-finished"}}));
  EXPECT_EQ(ok_json(args({{"best-trial"}, storage(), kStudy}))["value"], -0.25);
}

TEST_F(CommandsTest, MultiObjective) {
  EXPECT_EQ(ok(args({{"create-study"}, storage(), kStudy, {"--directions", "minimize", "maximize"}})), "s\n");
  for (int i = 0; i < 3; ++i) ask();
  tell(0, {"--values", "1", "1"});
  tell(1, {"--values", "2", "3"});
  tell(2, {"--values", "3", "2"});  // dominated by trial 1
  const Json front = ok_json(args({{"best-trials"}, storage(), kStudy}));
  std::vector<int> numbers;
  for (const Json& trial : front) numbers.push_back(trial["number"]);
  std::sort(numbers.begin(), numbers.end());
  EXPECT_EQ(numbers, (std::vector<int>{0, 1}));
  EXPECT_EQ(front[0]["values"].size(), 2u);
  expect_bad_input(args({{"best-trial"}, storage(), kStudy}), "best-trials");
  expect_bad_input(args({{"tell"}, storage(), kStudy, {"--trial-number", "0", "--values", "1"}}),
                   "2 objective(s), got 1 value(s)");
}

TEST_F(CommandsTest, UserAttrsAndDelete) {
  create();
  ok(args({{"study", "set-user-attr"}, storage(), kStudy, {"--key", "owner", "--value", "ana"}}));
  const Json studies = ok_json(args({{"studies"}, storage()}));
  EXPECT_EQ(studies[0]["user_attrs"], Json::parse(R"({"owner": "ana"})"));
  ok(args({{"delete-study"}, storage(), kStudy}));
  EXPECT_EQ(ok_json(args({{"studies"}, storage()})), Json::array());
  expect_bad_input(args({{"trials"}, storage(), kStudy}), "'s'");
}

TEST_F(CommandsTest, ExportCsv) {
  create();
  ask();
  tell(0, {"--values", "0.5"});
  ask();
  const std::string csv = ok(args({{"export"}, storage(), kStudy}));
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_EQ(header, "number,value,datetime_start,datetime_complete,duration,params_c,params_n,params_x,state");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  EXPECT_NE(csv.find("\n0,0.5,"), std::string::npos);
  EXPECT_NE(csv.find(",RUNNING\n"), std::string::npos);
  ok(args({{"export"}, storage(), kStudy, {"--output", "trials.csv"}}));
  EXPECT_EQ(read_text("trials.csv"), csv);
}

TEST_F(CommandsTest, BadInputExitsTwoAndLeavesTheDatabaseAlone) {
  create();
  ask();
  const std::string database_before = read_text(db_path());
  const std::string trials_before = ok(args({{"trials"}, storage(), kStudy, {"-f", "json"}}));

  expect_bad_input(args({{"trials"}, storage(), kStudy, {"--bogus"}}), "unrecognised option '--bogus'");
  expect_bad_input(args({{"trials"}, storage(), kStudy, {"stray"}}), "too many positional");
  expect_bad_input(args({{"frobnicate"}, storage()}), "unknown command 'frobnicate'");
  expect_bad_input({}, "no command given");
  expect_bad_input(args({{"trials"}, storage()}), "--study-name is required");
  expect_bad_input(args({{"trials"}, storage(), {"--study-name", "nope"}}), "'nope'");
  expect_bad_input(args({{"trials"}, storage(), kStudy, {"-f", "xml"}}), "--format must be table or json");
  expect_bad_input(args({{"trials"}, storage(), kStudy, {"-q", "-v"}}), "exclude each other");
  expect_bad_input(args({{"trials"}, {"--storage", "postgres://db"}, kStudy}), "postgres://db");
  expect_bad_input(args({{"ask"}, storage(), kStudy, {"--search-space", "{not json"}}), "JSON");
  expect_bad_input(args({{"ask"}, storage(), kStudy, {"--search-space", "[1]"}}), "JSON object");
  expect_bad_input(args({{"ask"}, storage(), kStudy, {"--search-space", R"({"x": {"type": "float", "low": 2, "high": 1}})"}}),
                   "parameter 'x'");
  // x is a float in the study: asking for it as an int must not leave a trial behind.
  expect_bad_input(args({{"ask"}, storage(), kStudy, {"--search-space", R"({"x": {"type": "int", "low": 0, "high": 3}})"}}),
                   "'x'");
  expect_bad_input(args({{"tell"}, storage(), kStudy, {"--trial-number", "0", "--values", "abc"}}),
                   "'abc' is not a number");
  expect_bad_input(args({{"tell"}, storage(), kStudy, {"--trial-number", "0", "--state", "waiting"}}),
                   "--state must be complete, pruned or fail");
  expect_bad_input(args({{"tell"}, storage(), kStudy, {"--trial-number", "0"}}), "1 objective(s), got 0");
  expect_bad_input(args({{"tell"}, storage(), kStudy, {"--trial-number", "7", "--values", "1"}}), "7");
  expect_bad_input(args({{"tell"}, storage(), kStudy}), "'--trial-number' is required");
  expect_bad_input(args({{"study", "set-user-attr"}, storage(), kStudy, {"--key", "k"}}), "'--value'");
  expect_bad_input(args({{"export"}, storage(), kStudy, {"--output", "no/such/folder/t.csv"}}),
                   "cannot write the export file");

  EXPECT_EQ(read_text(db_path()), database_before);
  EXPECT_EQ(ok(args({{"trials"}, storage(), kStudy, {"-f", "json"}})), trials_before);
}

// Optuna's CLI spelling of the sampler; a seeded TPE run through separate `hpo ask`
// processes repeats itself on a second database.
TEST_F(CommandsTest, AskWithSamplerAndKwargs) {
  const auto run = [this](const std::string& db) {
    const std::vector<std::string> at{"--storage", "sqlite:///" + (folder() / db).string()};
    EXPECT_EQ(ok(args({{"create-study"}, at, kStudy})), "s\n");
    std::vector<Json> asked;
    for (int i = 0; i < 14; ++i) {
      const Json trial = ok_json(args({{"ask"}, at, kStudy, {"--search-space", kSpace, "--sampler", "TPESampler",
                                       "--sampler-kwargs", R"({"seed": 0, "multivariate": true, "n_startup_trials": 5})"}}));
      ok(args({{"tell"}, at, kStudy,
               {"--trial-number", std::to_string(trial.at("number").get<int>()), "--values",
                std::to_string(std::abs(trial.at("params").at("x").get<double>() - 0.5))}}));
      asked.push_back(trial);
    }
    return asked;
  };
  EXPECT_EQ(run("a.db"), run("b.db"));
  create();
  const Json random = ok_json(args({{"ask"}, storage(), kStudy, {"--search-space", kSpace, "--sampler", "RandomSampler",
                                    "--sampler-kwargs", R"({"seed": 3})"}}));
  EXPECT_TRUE(random.at("params").contains("x"));
}

TEST_F(CommandsTest, BadSamplerKwargsExitTwoAndLeaveTheDatabaseAlone) {
  create();
  ask();
  const std::string database_before = read_text(db_path());
  const auto ask_with = [this](const std::string& sampler, const std::string& kwargs) {
    return args({{"ask"}, storage(), kStudy, {"--search-space", kSpace, "--sampler", sampler, "--sampler-kwargs", kwargs}});
  };
  expect_bad_input(ask_with("TPESampler", R"({"seeed": 0})"), "unknown key 'seeed' for TPESampler");
  expect_bad_input(ask_with("TPESampler", R"({"seed": -1})"), "'seed' must be a non-negative integer");
  expect_bad_input(ask_with("TPESampler", R"({"multivariate": 1})"), "'multivariate' must be true or false");
  expect_bad_input(ask_with("TPESampler", R"({"n_ei_candidates": 0})"), "'n_ei_candidates'");
  expect_bad_input(ask_with("TPESampler", R"({"group": true})"), "group requires multivariate");
  expect_bad_input(ask_with("TPESampler", "[1]"), "--sampler-kwargs must be a JSON object");
  expect_bad_input(ask_with("TPESampler", "{oops"), "--sampler-kwargs");
  expect_bad_input(ask_with("RandomSampler", R"({"multivariate": true})"), "unknown key 'multivariate' for RandomSampler");
  expect_bad_input(ask_with("GridSampler", "{}"), "--sampler must be TPESampler or RandomSampler, got 'GridSampler'");
  EXPECT_EQ(read_text(db_path()), database_before);
}

TEST_F(CommandsTest, MissingDatabaseIsNotCreated) {
  expect_bad_input({"trials", "--storage", "sqlite:///absent.db", "--study-name", "s"}, "no study database");
  expect_bad_input({"studies", "--storage", "sqlite:///absent.db"}, "no study database");
  EXPECT_FALSE(std::filesystem::exists(folder() / "absent.db"));
}

TEST_F(CommandsTest, QuietSilencesMessagesButNotResults) {
  const RunResult normal = hpo(args({{"create-study"}, storage(), kStudy}));
  EXPECT_FALSE(normal.err.empty());
  const RunResult quiet = hpo(args({{"create-study"}, storage(), {"--study-name", "t", "-q"}}));
  EXPECT_EQ(quiet.out, "t\n");
  EXPECT_EQ(quiet.err, "");
}

TEST_F(CommandsTest, PythonOptunaReadsTheDatabase) {
  const RunResult probe = run_program({"/usr/bin/python3", "-c", "import optuna"});
  if (probe.exit_code != 0) GTEST_SKIP() << "python3-optuna is not installed";
  create();
  const Json first = ask();
  tell(0, {"--values", "1.5"});
  ask();
  const std::string script =
      "import json, optuna\n"
      "optuna.logging.set_verbosity(optuna.logging.WARNING)\n"
      // hpo writes Optuna 3.2's schema revision; Debian's Optuna 3.1 reads it when told to.
      "storage = optuna.storages.RDBStorage('sqlite:///" + db_path().string() + "', skip_compatibility_check=True)\n"
      "study = optuna.load_study(study_name='s', storage=storage)\n"
      "print(json.dumps([{'number': t.number, 'state': t.state.name, 'value': t.value, 'params': t.params}"
      " for t in study.trials]))\n";
  const RunResult python = run_program({"/usr/bin/python3", "-c", script});
  ASSERT_EQ(python.exit_code, 0) << python.err;
  const Json from_optuna = parse_output(python.out);
  const Json from_hpo = ok_json(args({{"trials"}, storage(), kStudy}));
  ASSERT_EQ(from_optuna.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(from_optuna[i]["number"], from_hpo[i]["number"]);
    EXPECT_EQ(from_optuna[i]["state"], from_hpo[i]["state"]);
    EXPECT_EQ(from_optuna[i]["value"], from_hpo[i]["value"]);
    EXPECT_EQ(from_optuna[i]["params"], from_hpo[i]["params"]);
  }
  EXPECT_EQ(from_optuna[0]["params"], first["params"]);
}

}  // namespace
}  // namespace hpo::cli_test
