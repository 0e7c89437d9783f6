// The finished-trial cache that SqliteStorage and PostgresStorage share, without a database.
#include <gtest/gtest.h>

#include "trial_cache.hpp"

namespace hpo {
namespace {

constexpr std::int64_t kStudy = 7;

FrozenTrial row(std::int64_t trial_id, TrialState state) {
  FrozenTrial trial;
  trial.trial_id = trial_id;
  trial.number = static_cast<int>(trial_id - 1);
  trial.state = state;
  return trial;
}

// What a refresh reads: every row above the watermark, with details only where needed.
std::vector<FrozenTrial> read_above_watermark(const TrialCache& cache, std::vector<FrozenTrial> table,
                                              const std::optional<std::vector<TrialState>>& states) {
  std::vector<FrozenTrial> read;
  for (FrozenTrial& trial : table) {
    if (trial.trial_id <= cache.watermark(kStudy)) continue;
    if (!cache.needs_details(kStudy, trial, states)) trial.user_attrs.clear();
    read.push_back(std::move(trial));
  }
  return read;
}

std::vector<std::int64_t> ids(const std::vector<SharedTrial>& trials) {
  std::vector<std::int64_t> out;
  for (const SharedTrial& t : trials) out.push_back(t->trial_id);
  return out;
}

TEST(TrialCache, CachesFinishedTrialsAndSharesThem) {
  TrialCache cache;
  std::vector<FrozenTrial> table{row(1, TrialState::Complete), row(2, TrialState::Running),
                                 row(3, TrialState::Fail)};
  table[0].user_attrs["detail"] = 1;
  table[0].distributions.emplace("x", FloatDistribution(0, 1));

  const std::vector<SharedTrial> first = cache.absorb(kStudy, read_above_watermark(cache, table, {}), {});
  EXPECT_EQ(ids(first), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(cache.watermark(kStudy), 1) << "trial 3 is finished but lies above the running trial 2";
  EXPECT_EQ(cache.cached_above_watermark(kStudy), std::vector<std::int64_t>{3});
  ASSERT_NE(cache.distribution(kStudy, "x"), nullptr);
  EXPECT_EQ(cache.distribution(kStudy, "y"), nullptr);

  // Cached trials need no details any more; the running one does while it is asked for.
  EXPECT_FALSE(cache.needs_details(kStudy, table[0], {}));
  EXPECT_FALSE(cache.needs_details(kStudy, table[2], {}));
  EXPECT_TRUE(cache.needs_details(kStudy, table[1], {}));
  EXPECT_FALSE(cache.needs_details(kStudy, table[1], std::vector<TrialState>{TrialState::Waiting}));

  // Trial 2 finishes and trial 4 appears: only those are read again.
  table[1].state = TrialState::Pruned;
  table.push_back(row(4, TrialState::Waiting));
  const std::vector<FrozenTrial> second_read = read_above_watermark(cache, table, {});
  ASSERT_EQ(second_read.size(), 3u) << "rows 2, 3 and 4";
  const std::vector<SharedTrial> second = cache.absorb(kStudy, second_read, {});
  EXPECT_EQ(ids(second), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(first[0].get(), second[0].get()) << "the same copy, not a new one";
  EXPECT_EQ(second[0]->user_attrs.at("detail"), 1);
  EXPECT_EQ(second[1]->state, TrialState::Pruned);
  EXPECT_EQ(cache.watermark(kStudy), 3);
  EXPECT_EQ(cache.find(2).get(), second[1].get());
  EXPECT_EQ(cache.find(4), nullptr) << "unfinished trials are never cached";
}

TEST(TrialCache, FiltersByStateAndSkipsTheCacheForUnfinishedStates) {
  TrialCache cache;
  const std::vector<FrozenTrial> table{row(1, TrialState::Complete), row(2, TrialState::Waiting),
                                       row(3, TrialState::Running), row(4, TrialState::Pruned)};
  const std::vector<TrialState> waiting{TrialState::Waiting};
  EXPECT_EQ(ids(cache.absorb(kStudy, read_above_watermark(cache, table, waiting), waiting)),
            std::vector<std::int64_t>{2});
  const std::vector<TrialState> finished{TrialState::Complete, TrialState::Pruned};
  EXPECT_EQ(ids(cache.absorb(kStudy, read_above_watermark(cache, table, finished), finished)),
            (std::vector<std::int64_t>{1, 4}));
  const std::vector<TrialState> mixed{TrialState::Running, TrialState::Complete};
  EXPECT_EQ(ids(cache.absorb(kStudy, read_above_watermark(cache, table, mixed), mixed)),
            (std::vector<std::int64_t>{1, 3}));
}

TEST(TrialCache, ForgettingAStudyLeavesHandedOutTrialsValid) {
  TrialCache cache;
  FrozenTrial done = row(5, TrialState::Complete);
  done.values = {0.25};
  cache.insert(kStudy, done);
  cache.remember_distribution(kStudy, "x", IntDistribution(0, 3));
  const SharedTrial held = cache.find(5);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(cache.watermark(kStudy), 0) << "a trial read on its own says nothing about the others";

  cache.forget_study(kStudy);
  EXPECT_EQ(cache.find(5), nullptr);
  EXPECT_EQ(cache.distribution(kStudy, "x"), nullptr);
  EXPECT_TRUE(cache.needs_details(kStudy, done, {}));
  EXPECT_EQ(held->values, std::vector<double>{0.25});
}

TEST(TrialCache, StudiesAreKeptApart) {
  TrialCache cache;
  cache.absorb(1, {row(1, TrialState::Complete)}, {});
  cache.absorb(2, {row(2, TrialState::Complete)}, {});
  EXPECT_EQ(ids(cache.absorb(1, {}, {})), std::vector<std::int64_t>{1});
  EXPECT_EQ(ids(cache.absorb(2, {}, {})), std::vector<std::int64_t>{2});
  cache.forget_study(1);
  EXPECT_EQ(cache.find(1), nullptr);
  EXPECT_NE(cache.find(2), nullptr);
}

}  // namespace
}  // namespace hpo
