// Helper program for the storage tests that need other processes or Python. <db> is a
// SQLite file or a storage URL (postgresql://...).
//   storage_tool optimize <db> <study> <n_trials> [heartbeat_ms]
//   storage_tool crash    <db> <study> <heartbeat_ms>   dies inside a trial's objective
//   storage_tool write    <db> <v3.0.0.d|v3.2.0.a>      studies covering every encoding
//   storage_tool dump     <db>                          all studies as canonical JSON
// The dump format is the one tests/storage/optuna_xcheck.py writes from Python Optuna.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <thread>

#include "hpo/error.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/study.hpp"
#include "search_space.hpp"

namespace {

using namespace hpo;
using std::chrono::milliseconds;
using test::kChoices;
using test::suggest_all;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
std::shared_ptr<Storage> open(const std::string& db, SqliteStorageOptions options = {}) {
  if (db.find("://") != std::string::npos) return open_storage(db, options);
  return std::make_shared<SqliteStorage>(db, options);
}

StudyOptions named(const std::string& name) {
  return StudyOptions().study_name(name).load_if_exists(true).sampler(
      std::make_shared<RandomSampler>());
}

int optimize(const std::string& db, const std::string& name, int n, int heartbeat_ms) {
  SqliteStorageOptions options;
  if (heartbeat_ms > 0) {
    options.heartbeat_interval(milliseconds(heartbeat_ms)).failed_trial_callback(RetryFailedTrialCallback());
  }
  Study study = create_study(open(db, options), named(name));
  study.optimize([](Trial& t) { return suggest_all(t); }, OptimizeOptions().n_trials(n));
  return 0;
}

int crash(const std::string& db, const std::string& name, int heartbeat_ms) {
  Study study = create_study(open(db, SqliteStorageOptions().heartbeat_interval(milliseconds(heartbeat_ms))),
                             named(name));
  study.optimize(
      [&](Trial& t) -> double {
        const double value = suggest_all(t);
        std::cout << dump_json(Json(t.params())) << std::endl;
        std::this_thread::sleep_for(milliseconds(2 * heartbeat_ms));  // a heartbeat or two
        std::_Exit(0);  // the worker dies mid-trial: no tell, no more heartbeats
        return value;
      },
      OptimizeOptions().n_trials(1));
  return 1;
}

int write(const std::string& db, const std::string& revision) {
  if (revision != "v3.0.0.d" && revision != "v3.2.0.a") {
    std::cerr << "unknown revision " << revision << "\n";
    return 2;
  }
  auto storage = open(db, SqliteStorageOptions().schema(
                              revision == "v3.0.0.d" ? OptunaSchema::v3_0_0_d : OptunaSchema::v3_2_0_a));
  Study study = create_study(storage, named("xcheck"));
  study.set_user_attr("unicode", "naïve ✓ 日本語");
  study.set_user_attr("nan", kNaN);
  study.set_system_attr("nested", Json({{"list", {1, 2.5, nullptr}}, {"inf", kInf}}));

  // One COMPLETE trial per categorical choice, so that every choice kind is stored.
  for (const Json& choice : kChoices) {
    study.enqueue_trial({{"opt", choice}});
    Trial t = study.ask();
    const double v = suggest_all(t);
    t.set_user_attr("choice", choice);
    t.set_user_attr("nan", kNaN);
    t.set_user_attr("unicode", "ü → ∞");
    t.report(v, 0);
    t.report(kNaN, 1);
    t.report(kInf, 2);
    t.report(-kInf, 3);
    study.tell(t, v);
  }
  for (double v : {kInf, -kInf}) {
    Trial t = study.ask();
    suggest_all(t);
    study.tell(t, v);
  }
  // Optuna's PRUNED value is the last step's intermediate value, none when that is NaN.
  for (double last : {2.0, kNaN}) {
    Trial pruned = study.ask();
    suggest_all(pruned);
    pruned.report(3.0, 0);
    pruned.report(last, 1);
    study.tell(pruned, TrialState::Pruned);
  }
  {
    Trial failed = study.ask();
    suggest_all(failed);
    study.tell(failed, TrialState::Fail);
  }
  Trial running = study.ask();
  suggest_all(running);
  running.set_system_attr("worker", "still running");
  study.enqueue_trial({{"lr", 0.01}, {"opt", "adam"}}, {{"queued", true}});

  Study mo = create_study(storage, named("xcheck-mo").directions(
                                       {StudyDirection::Minimize, StudyDirection::Maximize}));
  for (int i = 0; i < 3; ++i) {
    Trial t = mo.ask();
    const double x = t.suggest_float("x", -1, 1);
    mo.tell(t, {x * x, i == 2 ? kInf : x});
  }
  return 0;
}

Json optional_time(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count();
}

int dump(const std::string& db) {
  auto storage = open(db);
  Json studies = Json::array();
  for (const FrozenStudy& s : storage->get_all_studies()) {
    Json directions = Json::array();
    for (StudyDirection d : s.directions) directions.push_back(to_string(d));
    Json trials = Json::array();
    for (const FrozenTrial& t : storage->get_all_trials(s.study_id)) {
      Json distributions = Json::object();
      for (const auto& [name, d] : t.distributions) distributions[name] = parse_json(distribution_to_json(d));
      Json intermediate = Json::object();
      for (const auto& [step, v] : t.intermediate_values) intermediate[std::to_string(step)] = v;
      trials.push_back({{"number", t.number},
                        {"state", to_string(t.state)},
                        {"values", t.values.empty() ? Json(nullptr) : Json(t.values)},
                        {"datetime_start", optional_time(t.datetime_start)},
                        {"datetime_complete", optional_time(t.datetime_complete)},
                        {"params", t.params},
                        {"distributions", distributions},
                        {"intermediate_values", intermediate},
                        {"user_attrs", t.user_attrs},
                        {"system_attrs", t.system_attrs}});
    }
    studies.push_back({{"name", s.study_name},
                       {"directions", directions},
                       {"user_attrs", s.user_attrs},
                       {"system_attrs", s.system_attrs},
                       {"trials", trials}});
  }
  std::cout << dump_json(studies) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() >= 4 && args[0] == "optimize") {
      return optimize(args[1], args[2], std::stoi(args[3]), args.size() > 4 ? std::stoi(args[4]) : 0);
    }
    if (args.size() == 4 && args[0] == "crash") return crash(args[1], args[2], std::stoi(args[3]));
    if (args.size() == 3 && args[0] == "write") return write(args[1], args[2]);
    if (args.size() == 2 && args[0] == "dump") return dump(args[1]);
  } catch (const std::exception& e) {
    std::cerr << "storage_tool: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: storage_tool optimize|crash|write|dump ... (see the source)\n";
  return 2;
}
