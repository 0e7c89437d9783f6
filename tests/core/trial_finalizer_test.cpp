// Trial finalizers: work stored with a trial's result (refined params, a saved model) that
// the Study runs before it finishes the trial, so that an objective returns a plain value.
#include <gtest/gtest.h>

#include <stdexcept>

#include "hpo/error.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/study.hpp"

namespace hpo {
namespace {

Study new_study() {
  return create_study(std::make_shared<InMemoryStorage>(),
                      StudyOptions().study_name("s").sampler(std::make_shared<RandomSampler>(0)));
}

// What a refining sampler does: suggest, then store the refined value when the trial ends.
void suggest_and_refine(Trial& trial, double refined) {
  trial.suggest_float("wd", 0.0, 1.0);
  trial.add_finalizer([refined](Trial& t) {
    t.update_param("wd", refined);
    t.set_system_attr("refined", true);
  });
}

TEST(TrialFinalizer, OptimizeStoresWhatFinalizersWriteForCompleteAndPrunedTrials) {
  Study study = new_study();
  std::vector<TrialState> seen_by_callback;
  study.optimize(
      [](Trial& t) {
        suggest_and_refine(t, 0.25 + 0.5 * t.number());
        t.report(3.0, 0);
        if (t.number() == 1) throw TrialPruned();
        return 1.0;
      },
      OptimizeOptions().n_trials(2).callbacks({[&](Study&, const FrozenTrial& finished) {
        EXPECT_EQ(finished.system_attrs.count("refined"), 1u) << "callbacks see the finalized trial";
        seen_by_callback.push_back(finished.state);
      }}));
  EXPECT_EQ(seen_by_callback, (std::vector<TrialState>{TrialState::Complete, TrialState::Pruned}));
  const std::vector<FrozenTrial> trials = study.trials();
  EXPECT_EQ(trials[0].params.at("wd"), 0.25);
  EXPECT_EQ(trials[0].value(), 1.0);
  EXPECT_EQ(trials[1].state, TrialState::Pruned);
  EXPECT_EQ(trials[1].params.at("wd"), 0.75) << "a pruned trial keeps its refined params";
  EXPECT_EQ(trials[1].system_attrs.at("refined"), true);
  EXPECT_EQ(trials[1].value(), 3.0);
  EXPECT_EQ(study.best_params().at("wd"), 0.25);
}

TEST(TrialFinalizer, AThrowingFinalizerFailsTheTrialWithItsReasonAndTheLoopGoesOn) {
  Study study = new_study();
  bool later_finalizer_ran = false;
  study.optimize(
      [&](Trial& t) {
        t.suggest_float("x", 0.0, 1.0);
        if (t.number() == 0) {
          t.add_finalizer([](Trial&) { throw StorageError("cannot save weights to '/full/disk.pt'"); });
          t.add_finalizer([&](Trial&) { later_finalizer_ran = true; });
        }
        return 1.0;
      },
      OptimizeOptions().n_trials(2));
  const std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::Fail);
  EXPECT_TRUE(trials[0].values.empty());
  EXPECT_EQ(trials[0].system_attrs.at("fail_reason"), "cannot save weights to '/full/disk.pt'");
  EXPECT_FALSE(later_finalizer_ran) << "the first failure stops the finalizers";
  EXPECT_EQ(trials[1].state, TrialState::Complete);
}

TEST(TrialFinalizer, FailingTrialsRunNoFinalizer) {
  Study study = new_study();
  int runs = 0;
  study.optimize(
      [&](Trial& t) -> double {
        t.add_finalizer([&](Trial&) { ++runs; });
        throw TrialFailed("diverged");
      },
      OptimizeOptions().n_trials(1));
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(study.trials()[0].system_attrs.at("fail_reason"), "diverged");
}

TEST(TrialFinalizer, TellRunsThemOnceForCompleteAndPrunedButNotForFail) {
  Study study = new_study();
  int runs = 0;
  auto count = [&](Trial&) { ++runs; };

  Trial complete = study.ask();
  suggest_and_refine(complete, 0.5);
  complete.add_finalizer(count);
  EXPECT_EQ(study.tell(complete, 2.0).params.at("wd"), 0.5);
  EXPECT_EQ(runs, 1);
  EXPECT_THROW(study.tell(complete, 2.0), UpdateFinishedTrialError);
  EXPECT_EQ(runs, 1) << "telling a finished trial runs nothing";

  Trial pruned = study.ask();
  suggest_and_refine(pruned, 0.125);
  pruned.report(4.0, 2);
  const FrozenTrial told_pruned = study.tell(pruned, TrialState::Pruned);
  EXPECT_EQ(told_pruned.params.at("wd"), 0.125);
  EXPECT_EQ(told_pruned.value(), 4.0);
  EXPECT_EQ(study.trials()[1].params.at("wd"), 0.125);

  Trial failed = study.ask();
  failed.add_finalizer(count);
  EXPECT_EQ(study.tell(failed, TrialState::Fail).state, TrialState::Fail);
  EXPECT_EQ(runs, 1);

  Trial broken = study.ask();
  broken.add_finalizer([](Trial&) { throw std::runtime_error("torch::save failed"); });
  const FrozenTrial told_broken = study.tell(broken, 1.0);
  EXPECT_EQ(told_broken.state, TrialState::Fail);
  EXPECT_EQ(told_broken.system_attrs.at("fail_reason"), "torch::save failed");

  Trial t = study.ask();
  EXPECT_THROW(t.add_finalizer(nullptr), ValueError);
}

}  // namespace
}  // namespace hpo
