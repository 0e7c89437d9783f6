// One suite, run against every Storage implementation: Optuna's BaseStorage contract.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <thread>

#include "hpo/error.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/storage/postgres_storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "postgres_server.hpp"
#include "storage_fixture.hpp"

namespace hpo {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Backend {
  std::string name;
  std::function<std::shared_ptr<Storage>(const test::ScratchDir&)> open;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

class StorageConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { storage = GetParam().open(dir); }

  std::int64_t study(const std::string& name = "s",
                     std::vector<StudyDirection> d = {StudyDirection::Minimize}) {
    return storage->create_new_study(d, name);
  }

  test::ScratchDir dir;
  std::shared_ptr<Storage> storage;
};

// NaN != NaN, so attributes are compared in their stored (JSON text) form.
std::string text(const AttrMap& m) { return dump_json(Json(m)); }

const Json kOddAttr = Json::object(
    {{"nan", kNaN}, {"inf", kInf}, {"ninf", -kInf}, {"unicode", "αβγ ✓ 日本"},
     {"list", Json::array({1, 2.5, nullptr, true, "x"})}, {"nested", {{"a", {{"b", 1}}}}}});

const FloatDistribution kLogFloat(1e-5, 0.1, true);
const FloatDistribution kSteppedFloat(0.0, 1.05, false, 0.1);
const IntDistribution kSteppedInt(0, 100, false, 5);
const IntDistribution kLogInt(1, 1024, true);
const CategoricalDistribution kMixed({"sgd", "adam", nullptr, 3, 2.5, true});

TEST_P(StorageConformance, StudyLifecycleAndLookups) {
  const std::int64_t a = study("a");
  const std::int64_t b = study("b", {StudyDirection::Maximize, StudyDirection::Minimize});
  EXPECT_NE(a, b);
  EXPECT_EQ(storage->get_study_id_from_name("b"), b);
  EXPECT_EQ(storage->get_study_name_from_id(a), "a");
  EXPECT_EQ(storage->get_study_directions(b),
            (std::vector<StudyDirection>{StudyDirection::Maximize, StudyDirection::Minimize}));
  storage->set_study_user_attr(b, "odd", kOddAttr);
  storage->set_study_system_attr(b, "sys", "v1");
  storage->set_study_system_attr(b, "sys", "v2");  // overwrite
  const std::vector<FrozenStudy> all = storage->get_all_studies();
  ASSERT_EQ(all.size(), 2u);
  const FrozenStudy& fb = all[0].study_id == b ? all[0] : all[1];
  EXPECT_EQ(fb.study_name, "b");
  EXPECT_EQ(fb.directions.size(), 2u);
  EXPECT_EQ(text(fb.user_attrs), text(AttrMap{{"odd", kOddAttr}}));
  EXPECT_EQ(text(storage->get_study_system_attrs(b)), text(AttrMap{{"sys", "v2"}}));
  EXPECT_TRUE(storage->get_study_user_attrs(a).empty());
}

TEST_P(StorageConformance, DuplicateStudyNameIsRefused) {
  study("same");
  EXPECT_THROW(study("same"), DuplicatedStudyError);
  EXPECT_EQ(storage->get_all_studies().size(), 1u);
}

TEST_P(StorageConformance, UnknownIdsThrowNotFound) {
  const std::int64_t s = study();
  const std::int64_t t = storage->create_new_trial(s);
  const std::int64_t bad = 987654;
  EXPECT_THROW(storage->get_study_id_from_name("missing"), NotFoundError);
  EXPECT_THROW(storage->get_study_name_from_id(bad), NotFoundError);
  EXPECT_THROW(storage->get_study_directions(bad), NotFoundError);
  EXPECT_THROW(storage->get_study_user_attrs(bad), NotFoundError);
  EXPECT_THROW(storage->get_study_system_attrs(bad), NotFoundError);
  EXPECT_THROW(storage->set_study_user_attr(bad, "k", 1), NotFoundError);
  EXPECT_THROW(storage->set_study_system_attr(bad, "k", 1), NotFoundError);
  EXPECT_THROW(storage->delete_study(bad), NotFoundError);
  EXPECT_THROW(storage->create_new_trial(bad), NotFoundError);
  EXPECT_THROW(storage->get_all_trials(bad), NotFoundError);
  EXPECT_THROW(storage->get_trial(bad), NotFoundError);
  EXPECT_THROW(storage->set_trial_param(bad, "x", 0.5, FloatDistribution(0, 1)), NotFoundError);
  EXPECT_THROW(storage->set_trial_state_values(bad, TrialState::Complete, {1.0}), NotFoundError);
  EXPECT_THROW(storage->set_trial_intermediate_value(bad, 0, 1.0), NotFoundError);
  EXPECT_THROW(storage->set_trial_user_attr(bad, "k", 1), NotFoundError);
  EXPECT_THROW(storage->set_trial_system_attr(bad, "k", 1), NotFoundError);
  EXPECT_THROW(storage->get_trial_id_from_study_id_trial_number(s, 1), NotFoundError);
  EXPECT_EQ(storage->get_trial_id_from_study_id_trial_number(s, 0), t);
}

TEST_P(StorageConformance, DeleteStudyRemovesItsTrialsOnly) {
  const std::int64_t a = study("a");
  const std::int64_t b = study("b");
  const std::int64_t ta = storage->create_new_trial(a);
  storage->set_trial_param(ta, "x", 0.5, FloatDistribution(0, 1));
  storage->set_trial_state_values(ta, TrialState::Complete, {1.0});
  const std::int64_t tb = storage->create_new_trial(b);
  storage->get_all_trials(a);  // let a caching backend cache it first
  storage->delete_study(a);
  EXPECT_THROW(storage->get_study_id_from_name("a"), NotFoundError);
  EXPECT_THROW(storage->get_trial(ta), NotFoundError);
  EXPECT_EQ(storage->get_trial(tb).number, 0);
  EXPECT_EQ(storage->get_all_studies().size(), 1u);
  const std::int64_t again = study("a");  // the name is free again, and its trials start at 0
  EXPECT_TRUE(storage->get_all_trials(again).empty());
  EXPECT_EQ(storage->get_trial(storage->create_new_trial(again)).number, 0);
}

TEST_P(StorageConformance, TrialNumbersCountPerStudy) {
  const std::int64_t a = study("a");
  const std::int64_t b = study("b");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(storage->create_new_trial(a));
    storage->create_new_trial(b);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(storage->get_trial(ids[i]).number, i);
    EXPECT_EQ(storage->get_trial_id_from_study_id_trial_number(a, i), ids[i]);
  }
  EXPECT_EQ(storage->get_n_trials(b), 3);
}

TEST_P(StorageConformance, NewTrialIsRunningAndStarted) {
  const auto before = Clock::now() - std::chrono::seconds(1);
  const FrozenTrial t = storage->get_trial(storage->create_new_trial(study()));
  EXPECT_EQ(t.state, TrialState::Running);
  ASSERT_TRUE(t.datetime_start.has_value());
  EXPECT_GT(*t.datetime_start, before);
  EXPECT_FALSE(t.datetime_complete.has_value());
  EXPECT_TRUE(t.values.empty());
  EXPECT_TRUE(t.params.empty());
}

TEST_P(StorageConformance, ParamsOfEveryDistributionKindRoundTrip) {
  const std::int64_t t = storage->create_new_trial(study());
  storage->set_trial_param(t, "lr", 0.001, kLogFloat);
  storage->set_trial_param(t, "frac", 0.3, kSteppedFloat);
  storage->set_trial_param(t, "units", 35, kSteppedInt);
  storage->set_trial_param(t, "batch", 64, kLogInt);
  for (int i = 0; i < 6; ++i) storage->set_trial_param(t, "c" + std::to_string(i), i, kMixed);
  const FrozenTrial f = storage->get_trial(t);
  EXPECT_DOUBLE_EQ(f.params.at("lr").get<double>(), 0.001);
  EXPECT_DOUBLE_EQ(f.params.at("frac").get<double>(), 0.3);
  EXPECT_TRUE(f.params.at("units").is_number_integer());
  EXPECT_EQ(f.params.at("units"), 35);
  EXPECT_EQ(f.params.at("batch"), 64);
  EXPECT_EQ(f.params.at("c0"), "sgd");
  EXPECT_TRUE(f.params.at("c2").is_null());
  EXPECT_TRUE(f.params.at("c3").is_number_integer());
  EXPECT_EQ(f.params.at("c3"), 3);
  EXPECT_TRUE(f.params.at("c4").is_number_float());
  EXPECT_EQ(f.params.at("c5"), true);
  EXPECT_EQ(std::get<FloatDistribution>(f.distributions.at("lr")), kLogFloat);
  EXPECT_EQ(std::get<FloatDistribution>(f.distributions.at("frac")), kSteppedFloat);
  EXPECT_EQ(std::get<IntDistribution>(f.distributions.at("units")), kSteppedInt);
  EXPECT_EQ(std::get<CategoricalDistribution>(f.distributions.at("c4")), kMixed);
  EXPECT_DOUBLE_EQ(f.internal_param("c4"), 4.0);
}

TEST_P(StorageConformance, DistributionCompatibilityAcrossTheStudy) {
  const std::int64_t s = study();
  const std::int64_t t0 = storage->create_new_trial(s);
  storage->set_trial_param(t0, "x", 0.5, FloatDistribution(0, 1));
  storage->set_trial_param(t0, "c", 0, CategoricalDistribution({"a", "b"}));
  storage->set_trial_state_values(t0, TrialState::Complete, {1.0});
  const std::int64_t t1 = storage->create_new_trial(s);
  EXPECT_THROW(storage->set_trial_param(t1, "x", 1, IntDistribution(0, 5)), ValueError);
  EXPECT_THROW(storage->set_trial_param(t1, "x", 0.5, FloatDistribution(0.1, 1, true)), ValueError);
  EXPECT_THROW(storage->set_trial_param(t1, "c", 0, CategoricalDistribution({"a", "c"})), ValueError);
  EXPECT_NO_THROW(storage->set_trial_param(t1, "x", 5, FloatDistribution(0, 10)));
  EXPECT_TRUE(storage->get_trial(t1).params.count("c") == 0) << "a refused param is not stored";
  // A second storage object on the same data (where there is one) must check too.
  FrozenTrial bad;
  bad.state = TrialState::Complete;
  bad.values = {1.0};
  bad.params = {{"x", 1}};
  bad.distributions.emplace("x", IntDistribution(0, 5));
  EXPECT_THROW(storage->create_new_trial(s, &bad), ValueError);
  EXPECT_EQ(storage->get_n_trials(s), 2);
}

TEST_P(StorageConformance, FinishingStoresValuesAndCompletionTime) {
  const std::int64_t s = study("mo", {StudyDirection::Minimize, StudyDirection::Maximize});
  const std::int64_t t = storage->create_new_trial(s);
  EXPECT_TRUE(storage->set_trial_state_values(t, TrialState::Complete, {kInf, -kInf}));
  const FrozenTrial f = storage->get_trial(t);
  EXPECT_EQ(f.state, TrialState::Complete);
  EXPECT_EQ(f.values, (std::vector<double>{kInf, -kInf}));
  ASSERT_TRUE(f.datetime_complete.has_value());
  EXPECT_GE(*f.datetime_complete, *f.datetime_start);
  const std::int64_t failed = storage->create_new_trial(s);
  storage->set_trial_state_values(failed, TrialState::Fail);
  EXPECT_TRUE(storage->get_trial(failed).values.empty());
}

TEST_P(StorageConformance, FinishedTrialsCannotChange) {
  const std::int64_t s = study();
  for (TrialState final_state : {TrialState::Complete, TrialState::Pruned, TrialState::Fail}) {
    const std::int64_t t = storage->create_new_trial(s);
    storage->set_trial_state_values(t, final_state, {1.0});
    EXPECT_THROW(storage->set_trial_param(t, "x", 0.5, FloatDistribution(0, 1)),
                 UpdateFinishedTrialError);
    EXPECT_THROW(storage->set_trial_state_values(t, TrialState::Complete, {2.0}),
                 UpdateFinishedTrialError);
    EXPECT_THROW(storage->set_trial_state_values(t, TrialState::Running), UpdateFinishedTrialError);
    EXPECT_THROW(storage->set_trial_intermediate_value(t, 0, 1.0), UpdateFinishedTrialError);
    EXPECT_THROW(storage->set_trial_user_attr(t, "k", 1), UpdateFinishedTrialError);
    EXPECT_THROW(storage->set_trial_system_attr(t, "k", 1), UpdateFinishedTrialError);
    const FrozenTrial f = storage->get_trial(t);
    EXPECT_EQ(f.state, final_state);
    EXPECT_EQ(f.values, std::vector<double>{1.0});
    EXPECT_TRUE(f.params.empty() && f.user_attrs.empty() && f.intermediate_values.empty());
  }
}

TEST_P(StorageConformance, WaitingTrialIsClaimedOnce) {
  const std::int64_t s = study();
  FrozenTrial waiting;
  waiting.state = TrialState::Waiting;
  waiting.system_attrs["fixed_params"] = Json({{"x", 0.5}});
  const std::int64_t t = storage->create_new_trial(s, &waiting);
  const FrozenTrial queued = storage->get_trial(t);
  EXPECT_EQ(queued.state, TrialState::Waiting);
  EXPECT_FALSE(queued.datetime_start.has_value());
  EXPECT_EQ(storage->get_all_trials(s, std::vector<TrialState>{TrialState::Waiting}).size(), 1u);
  EXPECT_TRUE(storage->set_trial_state_values(t, TrialState::Running));
  EXPECT_FALSE(storage->set_trial_state_values(t, TrialState::Running)) << "already claimed";
  const FrozenTrial claimed = storage->get_trial(t);
  EXPECT_EQ(claimed.state, TrialState::Running);
  EXPECT_TRUE(claimed.datetime_start.has_value());
  EXPECT_EQ(claimed.system_attrs.at("fixed_params"), Json({{"x", 0.5}}));
  const std::int64_t running = storage->create_new_trial(s);
  EXPECT_FALSE(storage->set_trial_state_values(running, TrialState::Running));
}

TEST_P(StorageConformance, IntermediateValuesIncludingNonFinite) {
  const std::int64_t t = storage->create_new_trial(study());
  storage->set_trial_intermediate_value(t, 0, 1.5);
  storage->set_trial_intermediate_value(t, 1, kNaN);
  storage->set_trial_intermediate_value(t, 2, kInf);
  storage->set_trial_intermediate_value(t, 3, -kInf);
  storage->set_trial_intermediate_value(t, 10, 7.0);
  storage->set_trial_intermediate_value(t, 10, 8.0);  // overwrite
  const auto values = storage->get_trial(t).intermediate_values;
  ASSERT_EQ(values.size(), 5u);
  EXPECT_EQ(values.at(0), 1.5);
  EXPECT_TRUE(std::isnan(values.at(1)));
  EXPECT_EQ(values.at(2), kInf);
  EXPECT_EQ(values.at(3), -kInf);
  EXPECT_EQ(values.at(10), 8.0);
}

TEST_P(StorageConformance, TrialAttributesWithNaNAndUnicode) {
  const std::int64_t t = storage->create_new_trial(study());
  storage->set_trial_user_attr(t, "odd", kOddAttr);
  storage->set_trial_user_attr(t, "ключ", "значение");
  storage->set_trial_system_attr(t, "n", 1);
  storage->set_trial_system_attr(t, "n", 2);
  const FrozenTrial f = storage->get_trial(t);
  EXPECT_EQ(text(f.user_attrs), text(AttrMap{{"odd", kOddAttr}, {"ключ", "значение"}}));
  EXPECT_EQ(text(f.system_attrs), text(AttrMap{{"n", 2}}));
}

TEST_P(StorageConformance, TemplateTrialIsCopiedWhole) {
  const std::int64_t s = study();
  FrozenTrial tpl;
  tpl.state = TrialState::Complete;
  tpl.values = {0.25};
  tpl.datetime_start = Clock::now() - std::chrono::hours(1);
  tpl.datetime_complete = Clock::now();
  tpl.params = {{"lr", 0.01}, {"opt", "adam"}, {"n", 10}};
  tpl.distributions.emplace("lr", kLogFloat);
  tpl.distributions.emplace("opt", kMixed);
  tpl.distributions.emplace("n", kSteppedInt);
  tpl.intermediate_values = {{0, 1.0}, {1, kNaN}};
  tpl.user_attrs = {{"u", kOddAttr}};
  tpl.system_attrs = {{"s", "x"}};
  storage->create_new_trial(s);
  const FrozenTrial f = storage->get_trial(storage->create_new_trial(s, &tpl));
  EXPECT_EQ(f.number, 1);
  EXPECT_EQ(f.state, TrialState::Complete);
  EXPECT_EQ(f.values, tpl.values);
  EXPECT_EQ(dump_json(Json(f.params)), dump_json(Json(tpl.params)));
  EXPECT_EQ(f.distributions.size(), 3u);
  EXPECT_EQ(f.intermediate_values.size(), 2u);
  EXPECT_TRUE(std::isnan(f.intermediate_values.at(1)));
  EXPECT_EQ(text(f.user_attrs), text(tpl.user_attrs));
  EXPECT_EQ(text(f.system_attrs), text(tpl.system_attrs));
  // Stored with microsecond precision.
  EXPECT_LE(std::chrono::abs(*f.datetime_start - *tpl.datetime_start), std::chrono::microseconds(1));
  EXPECT_LE(std::chrono::abs(*f.datetime_complete - *tpl.datetime_complete),
            std::chrono::microseconds(1));
}

TEST_P(StorageConformance, GetAllTrialsFiltersByStateInNumberOrder) {
  const std::int64_t s = study();
  const TrialState states[] = {TrialState::Complete, TrialState::Running, TrialState::Pruned,
                               TrialState::Fail, TrialState::Complete};
  for (TrialState state : states) {
    const std::int64_t t = storage->create_new_trial(s);
    if (state != TrialState::Running) storage->set_trial_state_values(t, state, {1.0});
  }
  const auto all = storage->get_all_trials(s);
  ASSERT_EQ(all.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(all[i].number, i);
    EXPECT_EQ(all[i].state, states[i]);
  }
  const auto complete = storage->get_all_trials(s, std::vector<TrialState>{TrialState::Complete});
  ASSERT_EQ(complete.size(), 2u);
  EXPECT_EQ(complete[1].number, 4);
  EXPECT_EQ(storage->get_n_trials(s, std::vector<TrialState>{TrialState::Running, TrialState::Fail}), 2);
  // A running trial finished later shows up finished (a cache must not keep it RUNNING).
  storage->set_trial_state_values(all[1].trial_id, TrialState::Complete, {0.5});
  EXPECT_EQ(storage->get_all_trials(s)[1].state, TrialState::Complete);
}

TEST_P(StorageConformance, SharedReadsHandOutFinishedTrialsWithoutCopies) {
  const std::int64_t s = study();
  const std::int64_t done = storage->create_new_trial(s);
  storage->set_trial_intermediate_value(done, 0, 2.0);
  storage->set_trial_state_values(done, TrialState::Complete, {2.0});
  const std::int64_t running = storage->create_new_trial(s);

  const std::vector<SharedTrial> first = storage->get_all_trials_shared(s);
  const std::vector<SharedTrial> second = storage->get_all_trials_shared(s);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0].get(), second[0].get()) << "one copy of a finished trial, shared by every reader";
  EXPECT_EQ(first[0]->intermediate_values.at(0), 2.0);
  EXPECT_EQ(first[1]->trial_id, running);
  EXPECT_NE(first[1].get(), second[1].get()) << "an unfinished trial may change, so each read is its own";

  // A held trial is a snapshot: later writes and even deleting the study leave it alone.
  storage->set_trial_user_attr(running, "k", "v");
  EXPECT_TRUE(first[1]->user_attrs.empty());
  EXPECT_EQ(storage->get_all_trials_shared(s, std::vector<TrialState>{TrialState::Running})[0]->user_attrs.at("k"),
            "v");
  EXPECT_TRUE(storage->get_all_trials_shared(s, std::vector<TrialState>{TrialState::Waiting}).empty());
  storage->delete_study(s);
  EXPECT_EQ(first[0]->values, std::vector<double>{2.0});
  EXPECT_THROW(storage->get_all_trials_shared(s), NotFoundError);
}

TEST_P(StorageConformance, BestTrialHonoursDirectionAndInfinities) {
  const std::int64_t min = study("min");
  const std::int64_t max = study("max", {StudyDirection::Maximize});
  EXPECT_THROW(storage->get_best_trial(min), NotFoundError);
  for (double v : {3.0, -kInf, 1.0}) {
    storage->set_trial_state_values(storage->create_new_trial(min), TrialState::Complete, {v});
  }
  for (double v : {3.0, kInf, 1.0}) {
    storage->set_trial_state_values(storage->create_new_trial(max), TrialState::Complete, {v});
  }
  storage->set_trial_state_values(storage->create_new_trial(max), TrialState::Pruned, {1e9});
  EXPECT_EQ(storage->get_best_trial(min).values[0], -kInf);
  EXPECT_EQ(storage->get_best_trial(max).values[0], kInf);
  const std::int64_t mo = study("mo", {StudyDirection::Minimize, StudyDirection::Minimize});
  EXPECT_THROW(storage->get_best_trial(mo), Error);
}

TEST_P(StorageConformance, ConcurrentThreadsGetUniqueNumbers) {
  const std::int64_t s = study();
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const std::int64_t t = storage->create_new_trial(s);
        storage->set_trial_param(t, "x", 0.5, FloatDistribution(0, 1));
        storage->set_trial_state_values(t, TrialState::Complete, {1.0});
        storage->get_all_trials(s);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int> numbers;
  for (const auto& t : storage->get_all_trials(s)) numbers.insert(t.number);
  EXPECT_EQ(numbers.size(), 100u);
  EXPECT_EQ(*numbers.rbegin(), 99);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, StorageConformance,
    ::testing::Values(
        Backend{"InMemory", [](const test::ScratchDir&) { return std::make_shared<InMemoryStorage>(); }},
        Backend{"Sqlite",
                [](const test::ScratchDir& dir) {
                  return std::make_shared<SqliteStorage>(dir.file("conformance.db"));
                }},
        Backend{"SqliteV300",
                [](const test::ScratchDir& dir) {
                  return std::make_shared<SqliteStorage>(
                      dir.file("conformance.db"), SqliteStorageOptions().schema(OptunaSchema::v3_0_0_d));
                }},
        // A new database of the throwaway server per test.
        Backend{"Postgres",
                [](const test::ScratchDir&) {
                  return std::make_shared<PostgresStorage>(test::PostgresServer::instance().new_database());
                }},
        Backend{"PostgresV300",
                [](const test::ScratchDir&) {
                  return std::make_shared<PostgresStorage>(test::PostgresServer::instance().new_database(),
                                                           PostgresStorageOptions().schema(OptunaSchema::v3_0_0_d));
                }}),
    [](const ::testing::TestParamInfo<Backend>& backend) { return backend.param.name; });

}  // namespace
}  // namespace hpo
