#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <set>
#include <thread>
#include <tuple>
#include <type_traits>

#include "hpo/error.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/study.hpp"

namespace hpo {
namespace {

std::shared_ptr<Storage> memory() { return std::make_shared<InMemoryStorage>(); }

StudyOptions named(const std::string& name) {
  return StudyOptions().study_name(name).sampler(std::make_shared<RandomSampler>(0));
}

TEST(Study, LifecycleDuplicateNameAndLoadIfExists) {
  auto storage = memory();
  Study a = create_study(storage, named("s"));
  EXPECT_THROW(create_study(storage, named("s")), DuplicatedStudyError);
  Study b = create_study(storage, named("s").load_if_exists(true));
  EXPECT_EQ(a.study_id(), b.study_id());
  Study c = load_study(storage, "s");
  EXPECT_EQ(c.study_name(), "s");
  EXPECT_THROW(load_study(storage, "missing"), NotFoundError);
  Study anonymous = create_study(storage);
  EXPECT_EQ(anonymous.study_name().rfind("no-name-", 0), 0u);
  EXPECT_EQ(get_all_study_summaries(*storage).size(), 2u);
  delete_study(*storage, "s");
  EXPECT_THROW(load_study(storage, "s"), NotFoundError);
  EXPECT_THROW(create_study(storage, StudyOptions().directions({})), ValueError);
}

TEST(Study, SuggestSameNameReturnsSameValueAndConflictsAreErrors) {
  Study study = create_study(memory(), named("s"));
  Trial t = study.ask();
  double x = t.suggest_float("x", 0, 1);
  EXPECT_EQ(t.suggest_float("x", 0, 1), x);
  std::int64_t n = t.suggest_int("n", 1, 64, IntOptions().log(true));
  EXPECT_EQ(t.suggest_int("n", 1, 64, IntOptions().log(true)), n);
  Json c = t.suggest_categorical("opt", {"sgd", "adam"});
  EXPECT_EQ(t.suggest_categorical("opt", {"sgd", "adam"}), c);
  EXPECT_THROW(t.suggest_int("x", 0, 1), ValueError);
  study.tell(t, 1.0);
  Trial u = study.ask();
  EXPECT_THROW(u.suggest_int("x", 0, 10), ValueError) << "x is a float elsewhere in the study";
  EXPECT_THROW(u.suggest_categorical("opt", {"sgd"}), ValueError);
  EXPECT_NO_THROW(u.suggest_float("x", 0, 10)) << "ranges may change between trials";
}

// Whether trial.suggest_int / suggest_float accept arguments of these types.
template <class Args, class = void>
struct SuggestIntAccepts : std::false_type {};
template <class... A>
struct SuggestIntAccepts<std::tuple<A...>, std::void_t<decltype(std::declval<Trial&>().suggest_int(std::declval<A>()...))>>
    : std::true_type {};
template <class Args, class = void>
struct SuggestFloatAccepts : std::false_type {};
template <class... A>
struct SuggestFloatAccepts<std::tuple<A...>,
                           std::void_t<decltype(std::declval<Trial&>().suggest_float(std::declval<A>()...))>>
    : std::true_type {};

// suggest_int("units", 16, 1024, true) once compiled as step = 1; log and step are named now.
static_assert(!SuggestIntAccepts<std::tuple<std::string, int, int, bool>>::value);
static_assert(!SuggestIntAccepts<std::tuple<std::string, int, int, int>>::value);
static_assert(!SuggestIntAccepts<std::tuple<std::string, int, int, int, bool>>::value);
static_assert(!SuggestFloatAccepts<std::tuple<std::string, double, double, bool>>::value);
static_assert(!SuggestFloatAccepts<std::tuple<std::string, double, double, double>>::value);
static_assert(SuggestIntAccepts<std::tuple<std::string, int, int, IntOptions>>::value);
static_assert(SuggestFloatAccepts<std::tuple<std::string, double, double, FloatOptions>>::value);

TEST(Study, SuggestOptionsReachTheStoredDistributions) {
  Study study = create_study(memory(), named("s"));
  Trial t = study.ask();
  const std::int64_t units = t.suggest_int("units", 16, 1024, IntOptions().step(16));
  EXPECT_EQ(units % 16, 0);
  t.suggest_int("batch", 1, 1024, IntOptions().log(true));
  t.suggest_float("lr", 1e-5, 1e-1, FloatOptions().log(true));
  t.suggest_float("frac", 0.0, 1.0, FloatOptions().step(0.25));
  const FrozenTrial stored = study.storage()->get_trial(t.trial_id());
  EXPECT_EQ(stored.distributions.at("units"), Distribution(IntDistribution(16, 1024, false, 16)));
  EXPECT_EQ(stored.distributions.at("batch"), Distribution(IntDistribution(1, 1024, true, 1)));
  EXPECT_EQ(stored.distributions.at("lr"), Distribution(FloatDistribution(1e-5, 1e-1, true)));
  EXPECT_EQ(stored.distributions.at("frac"), Distribution(FloatDistribution(0.0, 1.0, false, 0.25)));
  EXPECT_THROW(t.suggest_float("bad", 0.0, 1.0, FloatOptions().log(true)), ValueError) << "log needs low > 0";
}

TEST(Study, TrialsOutliveTheStudyHandleTheyCameFrom) {
  std::optional<Trial> trial;
  {
    Study study = create_study(memory(), named("s"));
    trial.emplace(study.ask());
  }
  trial->suggest_float("x", 0, 1);
  EXPECT_EQ(trial->study().tell(*trial, 1.0).state, TrialState::Complete);
}

TEST(Study, AskTellAndTellingAFinishedTrialIsAnError) {
  Study study = create_study(memory(), named("s"));
  Trial t = study.ask();
  t.suggest_float("x", -1, 1);
  FrozenTrial done = study.tell(t, 0.25);
  EXPECT_EQ(done.state, TrialState::Complete);
  EXPECT_EQ(done.value(), 0.25);
  EXPECT_TRUE(done.datetime_complete.has_value());
  EXPECT_THROW(study.tell(t, 0.5), UpdateFinishedTrialError);
  EXPECT_NO_THROW(study.tell(t.number(), {0.5}, TrialState::Complete, /*skip_if_finished=*/true));
  EXPECT_EQ(study.trials()[0].value(), 0.25);
  EXPECT_THROW(study.tell(t.number(), {1.0, 2.0}), ValueError);
  EXPECT_THROW(study.tell(99, {1.0}), NotFoundError);

  Trial p = study.ask();
  p.report(3.0, 0);
  p.report(2.0, 1);
  FrozenTrial pruned = study.tell(p, TrialState::Pruned);
  EXPECT_EQ(pruned.state, TrialState::Pruned);
  EXPECT_EQ(pruned.value(), 2.0) << "a pruned trial takes its last intermediate value";

  Trial nan = study.ask();
  FrozenTrial failed = study.tell(nan, std::nan(""));
  EXPECT_EQ(failed.state, TrialState::Fail);
  EXPECT_NE(failed.system_attrs.at("fail_reason").get<std::string>().find("NaN"), std::string::npos);
}

TEST(Study, EnqueuedParamsWinAndAreClaimedOnce) {
  Study study = create_study(memory(), named("s"));
  study.enqueue_trial({{"x", 0.125}, {"opt", "adam"}});
  study.enqueue_trial({{"x", 0.125}, {"opt", "adam"}}, {}, /*skip_if_exists=*/true);
  EXPECT_EQ(study.trials(std::vector<TrialState>{TrialState::Waiting}).size(), 1u);
  Trial t = study.ask();
  EXPECT_EQ(t.number(), 0);
  EXPECT_EQ(t.suggest_float("x", 0, 1), 0.125);
  EXPECT_EQ(t.suggest_categorical("opt", {"sgd", "adam"}), "adam");
  double y = t.suggest_float("y", 0, 1);
  EXPECT_TRUE(y >= 0 && y <= 1);
  EXPECT_FALSE(study.storage()->set_trial_state_values(t.trial_id(), TrialState::Running))
      << "a RUNNING trial can no longer be claimed";
  Trial next = study.ask();
  EXPECT_EQ(next.number(), 1);
}

TEST(Study, OptimizeWithCallbacksCatchAndTimeout) {
  Study study = create_study(memory(), named("s"));
  int calls = 0;
  study.optimize(
      [](Trial& t) {
        double x = t.suggest_float("x", -10, 10);
        if (x > 5) throw std::runtime_error("x too large: " + std::to_string(x));
        return x * x;
      },
      OptimizeOptions().n_trials(40).catch_all().callbacks(
          {[&calls](Study&, const FrozenTrial&) { ++calls; }}));
  EXPECT_EQ(calls, 40);
  auto failed = study.trials(std::vector<TrialState>{TrialState::Fail});
  EXPECT_GT(failed.size(), 0u);
  EXPECT_NE(failed[0].system_attrs.at("fail_reason").get<std::string>().find("x too large"), std::string::npos);
  EXPECT_LE(study.best_value(), 4.0);
  EXPECT_EQ(study.best_params().count("x"), 1u);

  // Without catch, the exception fails the trial and propagates.
  EXPECT_THROW(study.optimize([](Trial&) -> double { throw std::logic_error("boom"); },
                              OptimizeOptions().n_trials(3)),
               std::logic_error);
  EXPECT_EQ(study.trials().back().state, TrialState::Fail);
  EXPECT_EQ(study.trials().size(), 41u);

  auto start = std::chrono::steady_clock::now();
  study.optimize(
      [](Trial&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return 1.0;
      },
      OptimizeOptions().timeout(std::chrono::duration<double>(0.2)));
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(elapsed, 0.2);
  EXPECT_LT(elapsed, 1.0);

  // A callback may stop the study.
  std::size_t before = study.trials().size();
  study.optimize([](Trial&) { return 1.0; },
                 OptimizeOptions().n_trials(100).callbacks({[](Study& s, const FrozenTrial&) { s.stop(); }}));
  EXPECT_EQ(study.trials().size(), before + 1);
}

TEST(Study, TrialFailedFailsTheTrialButNotTheLoop) {
  Study study = create_study(memory(), named("s"));
  study.optimize(
      [](Trial& t) -> double {
        if (t.number() == 1) throw TrialFailed("hypergradient diverged at step 3");
        return 1.0;
      },
      OptimizeOptions().n_trials(3));
  auto trials = study.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[1].state, TrialState::Fail);
  EXPECT_EQ(trials[1].system_attrs.at("fail_reason"), "hypergradient diverged at step 3");
  EXPECT_EQ(trials[2].state, TrialState::Complete);
}

TEST(Study, UpdateParamReplacesASuggestedValueWithinItsDistribution) {
  Study study = create_study(memory(), named("s"));
  Trial t = study.ask();
  t.suggest_float("wd", 1e-4, 1.0, FloatOptions().log(true));
  t.update_param("wd", 0.5);
  EXPECT_EQ(t.params().at("wd"), 0.5);
  EXPECT_THROW(t.update_param("wd", 2.0), ValueError);
  EXPECT_THROW(t.update_param("missing", 0.5), ValueError);
  study.tell(t, 1.0);
  EXPECT_EQ(study.best_params().at("wd"), 0.5);
}

TEST(Study, PrunedAndNaNTrialsInOptimize) {
  Study study = create_study(memory(), named("s").pruner(std::make_shared<MedianPruner>(
                                                     PercentilePrunerOptions().n_startup_trials(2))));
  study.optimize(
      [](Trial& t) {
        double x = t.suggest_float("x", 0, 1);
        if (t.number() == 5) return std::nan("");
        for (int step = 0; step < 10; ++step) {
          t.report(t.number() >= 3 ? 100.0 : x, step);
          if (t.should_prune()) throw TrialPruned();
        }
        return x;
      },
      OptimizeOptions().n_trials(6));
  auto trials = study.trials();
  EXPECT_EQ(trials[3].state, TrialState::Pruned);
  EXPECT_EQ(trials[3].value(), 100.0);
  EXPECT_EQ(trials[4].state, TrialState::Pruned);
  EXPECT_EQ(trials[5].state, TrialState::Fail);
}

TEST(Study, BestTrialInBothDirectionsWithInfinities) {
  for (auto direction : {StudyDirection::Minimize, StudyDirection::Maximize}) {
    Study study = create_study(memory(), named("s").direction(direction));
    EXPECT_THROW(study.best_trial(), NotFoundError);
    for (double v : {1.0, HUGE_VAL, -HUGE_VAL, 0.5}) {
      Trial t = study.ask();
      study.tell(t, v);
    }
    double best = study.best_value();
    EXPECT_EQ(best, direction == StudyDirection::Minimize ? -HUGE_VAL : HUGE_VAL);
  }
}

TEST(Study, ParetoFrontOfMultiObjectiveStudy) {
  Study study = create_study(memory(), named("mo").directions({StudyDirection::Minimize, StudyDirection::Maximize}));
  std::vector<std::vector<double>> points = {{1, 1}, {2, 3}, {3, 3}, {0, 0}, {2, 2}, {1, 1}};
  for (const auto& p : points) {
    Trial t = study.ask();
    study.tell(t, p);
  }
  std::set<int> front;
  for (const auto& t : study.best_trials()) front.insert(t.number);
  EXPECT_EQ(front, (std::set<int>{0, 1, 3, 5}));
  EXPECT_THROW(study.best_trial(), Error);
  EXPECT_THROW(study.direction(), Error);
  EXPECT_THROW(study.optimize([](Trial&) { return 1.0; }, OptimizeOptions().n_trials(1)), Error);
  study.optimize([](Trial& t) { return std::vector<double>{t.suggest_float("x", 0, 1), 1.0}; },
                 OptimizeOptions().n_trials(2));
  EXPECT_EQ(study.trials().size(), points.size() + 2);
}

TEST(Study, UserAttributesAndSummaries) {
  auto storage = memory();
  Study study = create_study(storage, named("s"));
  study.set_user_attr("dataset", "digits");
  study.set_user_attr("weird", std::nan(""));
  EXPECT_EQ(study.user_attrs().at("dataset"), "digits");
  Trial t = study.ask();
  t.set_user_attr("note", Json::array({1, 2}));
  study.tell(t, 2.0);
  EXPECT_EQ(study.trials()[0].user_attrs.at("note"), Json::array({1, 2}));
  auto summaries = get_all_study_summaries(*storage);
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].n_trials, 1);
  ASSERT_TRUE(summaries[0].best_trial.has_value());
  EXPECT_EQ(summaries[0].best_trial->value(), 2.0);
  EXPECT_TRUE(summaries[0].datetime_start.has_value());
}

TEST(Study, RetryCallbackReenqueuesWithOptunaAttributes) {
  Study study = create_study(memory(), named("s"));
  Trial t = study.ask();
  double x = t.suggest_float("x", 0, 1);
  study.tell(t, TrialState::Fail);
  RetryFailedTrialCallback retry(1);
  retry(study, study.trials()[0]);
  FrozenTrial waiting = study.trials()[1];
  EXPECT_EQ(waiting.state, TrialState::Waiting);
  EXPECT_EQ(waiting.system_attrs.at("failed_trial"), 0);
  EXPECT_EQ(waiting.system_attrs.at("retry_history"), Json::array({0}));
  Trial again = study.ask();
  EXPECT_EQ(again.suggest_float("x", 0, 1), x);
  study.tell(again, TrialState::Fail);
  retry(study, study.trials()[1]);
  EXPECT_EQ(study.trials().size(), 2u) << "max_retry=1 allows one retry only";
}

TEST(InMemoryStorage, SeveralThreadsOptimizeOneStudy) {
  auto storage = memory();
  Study study = create_study(storage, named("threads"));
  const int n_threads = 4, per_thread = 250;
  std::vector<std::thread> threads;
  for (int i = 0; i < n_threads; ++i)
    threads.emplace_back([study, per_thread]() mutable {
      study.optimize(
          [](Trial& t) {
            double x = t.suggest_float("x", 0, 1);
            t.report(x, 0);
            return x;
          },
          OptimizeOptions().n_trials(per_thread));
    });
  for (auto& th : threads) th.join();
  auto trials = study.trials();
  ASSERT_EQ(trials.size(), static_cast<std::size_t>(n_threads * per_thread));
  std::set<int> numbers;
  std::set<std::int64_t> ids;
  for (const auto& t : trials) {
    numbers.insert(t.number);
    ids.insert(t.trial_id);
    EXPECT_EQ(t.state, TrialState::Complete);
    EXPECT_EQ(t.intermediate_values.at(0), t.value());
  }
  EXPECT_EQ(numbers.size(), trials.size());
  EXPECT_EQ(*numbers.rbegin(), n_threads * per_thread - 1);
  EXPECT_EQ(ids.size(), trials.size());
}

}  // namespace
}  // namespace hpo
