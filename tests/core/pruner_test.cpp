#include <gtest/gtest.h>

#include "hpo/error.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/study.hpp"

namespace hpo {
namespace {

// Completes `n` trials that report `value` at steps 0..4.
void add_completed(Study& study, int n, double value) {
  for (int i = 0; i < n; ++i) {
    Trial t = study.ask();
    for (int step = 0; step < 5; ++step) t.report(value, step);
    study.tell(t, value);
  }
}

Study make_study(std::shared_ptr<Pruner> pruner, StudyDirection direction = StudyDirection::Minimize) {
  return create_study(std::make_shared<InMemoryStorage>(),
                      StudyOptions().direction(direction).pruner(std::move(pruner)));
}

// Counts the reads that copy every trial.
class CopyCountingStorage : public InMemoryStorage {
 public:
  std::vector<FrozenTrial> get_all_trials(std::int64_t study_id,
                                          const std::optional<std::vector<TrialState>>& states) override {
    ++copying_reads;
    return InMemoryStorage::get_all_trials(study_id, states);
  }
  int copying_reads = 0;
};

TEST(MedianPruner, ReadsFinishedTrialsWithoutCopyingThem) {
  auto storage = std::make_shared<CopyCountingStorage>();
  Study study = create_study(storage, StudyOptions().pruner(std::make_shared<MedianPruner>(
                                          PercentilePrunerOptions().n_startup_trials(3))));
  add_completed(study, 3, 1.0);
  Trial bad = study.ask();
  bad.report(5.0, 0);
  storage->copying_reads = 0;
  EXPECT_TRUE(bad.should_prune());
  EXPECT_EQ(storage->copying_reads, 0);
}

TEST(MedianPruner, PrunesWorseThanMedianOnly) {
  Study study = make_study(std::make_shared<MedianPruner>(PercentilePrunerOptions().n_startup_trials(3)));
  add_completed(study, 3, 1.0);
  Trial bad = study.ask();
  bad.report(5.0, 0);
  EXPECT_TRUE(bad.should_prune());
  Trial good = study.ask();
  good.report(0.5, 0);
  EXPECT_FALSE(good.should_prune());
}

TEST(MedianPruner, MaximizeFlipsTheComparison) {
  Study study = make_study(std::make_shared<MedianPruner>(PercentilePrunerOptions().n_startup_trials(1)),
                           StudyDirection::Maximize);
  add_completed(study, 2, 1.0);
  Trial low = study.ask();
  low.report(0.2, 0);
  EXPECT_TRUE(low.should_prune());
  Trial high = study.ask();
  high.report(3.0, 0);
  EXPECT_FALSE(high.should_prune());
}

TEST(MedianPruner, RespectsStartupWarmupAndInterval) {
  Study study = make_study(std::make_shared<MedianPruner>(
      PercentilePrunerOptions().n_startup_trials(2).n_warmup_steps(2).interval_steps(2)));
  add_completed(study, 1, 1.0);
  Trial t = study.ask();
  t.report(9.0, 0);
  EXPECT_FALSE(t.should_prune()) << "only one trial finished, two are needed";
  add_completed(study, 1, 1.0);
  EXPECT_FALSE(t.should_prune()) << "step 0 is in the warm-up";
  t.report(9.0, 1);
  EXPECT_FALSE(t.should_prune()) << "step 1 is in the warm-up";
  t.report(9.0, 2);
  EXPECT_TRUE(t.should_prune());
  t.report(9.0, 3);
  EXPECT_FALSE(t.should_prune()) << "step 3 is between pruning steps 2 and 4";
  t.report(9.0, 4);
  EXPECT_TRUE(t.should_prune());
}

TEST(MedianPruner, NaNOnlyTrialIsPruned) {
  Study study = make_study(std::make_shared<MedianPruner>(PercentilePrunerOptions().n_startup_trials(1)));
  add_completed(study, 1, 1.0);
  Trial t = study.ask();
  t.report(std::nan(""), 0);
  EXPECT_TRUE(t.should_prune());
}

TEST(MedianPruner, BadOptionsAreRejected) {
  EXPECT_THROW(MedianPruner(PercentilePrunerOptions().interval_steps(0)), ValueError);
  EXPECT_THROW(MedianPruner(PercentilePrunerOptions().n_warmup_steps(-1)), ValueError);
  EXPECT_THROW(PercentilePruner(101.0), ValueError);
}

TEST(NopPruner, NeverPrunes) {
  Study study = make_study(std::make_shared<NopPruner>());
  add_completed(study, 5, 1.0);
  Trial t = study.ask();
  t.report(100.0, 0);
  EXPECT_FALSE(t.should_prune());
}

}  // namespace
}  // namespace hpo
