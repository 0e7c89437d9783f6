// MOTPE's split and the trial split's ranking of PRUNED trials, on hand-computed cases.
#include <gtest/gtest.h>

#include "multi_objective.hpp"
#include "trial_split.hpp"

namespace hpo::tpe {
namespace {

TEST(Hypervolume, HandComputed) {
  // Staircase (1,3), (2,2), (3,1) up to (4,4): 3 + 2 + 1 = 6.
  EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {2, 2}, {3, 1}}, {4, 4}), 6.0);
  // A dominated point and one outside the reference add nothing.
  EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {2, 2}, {3, 1}, {3, 3}, {5, 0}}, {4, 4}), 6.0);
  // Two boxes in 3-D: (0,0,1) up to (2,2,2) is 2·2·1 = 4, (1,1,0) is 1·1·2 = 2, overlap 1.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 1}, {1, 1, 0}}, {2, 2, 2}), 5.0);
}

TEST(SelectBest, WholeFrontsThenGreedyHypervolume) {
  const Points points{{1, 4}, {2, 2}, {4, 1}, {3, 3}, {5, 5}};
  EXPECT_EQ(select_best(points, 3), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(select_best(points, 4), (std::vector<std::size_t>{0, 1, 2, 3}));
  // Two of the three front points: reference 1.1 × (4, 4); (2, 2) adds 2.4² = 5.76, then
  // (1, 4) and (4, 1) add 0.4 each and the first in lexicographic order wins.
  EXPECT_EQ(select_best(points, 2), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(select_best(points, 1), (std::vector<std::size_t>{1}));
  EXPECT_EQ(select_best(points, 0), (std::vector<std::size_t>{}));
  // Duplicates share their rank.
  EXPECT_EQ(select_best({{1, 1}, {3, 3}, {1, 1}, {2, 2}}, 3), (std::vector<std::size_t>{0, 2, 3}));
}

TEST(HypervolumeWeights, ContributionsRelativeToTheLargest) {
  // Reference 1.1 × (4, 4) = (4.4, 4.4). Exclusive parts: (1,4) [1,2]×[4,4.4] = 0.4;
  // (2,2) [2,4]×[2,4] = 4; (4,1) 0.4; (3,3) is dominated.
  const auto w = hypervolume_weights({{1, 4}, {2, 2}, {4, 1}, {3, 3}});
  ASSERT_EQ(w.size(), 4u);
  EXPECT_NEAR(w[0], 0.4 / 4, 1e-12);
  EXPECT_NEAR(w[1], 1.0, 1e-12);
  EXPECT_NEAR(w[2], 0.4 / 4, 1e-12);
  EXPECT_EQ(w[3], 1e-12);
}

FrozenTrial finished(int number, TrialState state, std::vector<double> values,
                     std::map<std::int64_t, double> intermediate = {}) {
  FrozenTrial t;
  t.number = number;
  t.state = state;
  t.values = std::move(values);
  t.intermediate_values = std::move(intermediate);
  return t;
}

std::vector<const FrozenTrial*> pointers(const std::vector<FrozenTrial>& trials) {
  std::vector<const FrozenTrial*> out;
  for (const FrozenTrial& t : trials) out.push_back(&t);
  return out;
}

TEST(SplitTrials, CompleteFirstThenPrunedDeeperFirstThenByLastValue) {
  const std::vector<FrozenTrial> trials{
      finished(0, TrialState::Complete, {5.0}),
      finished(1, TrialState::Pruned, {1.0}, {{0, 9.0}, {1, 1.0}}),    // step 1, value 1
      finished(2, TrialState::Pruned, {50.0}, {{0, 9.0}, {3, 50.0}}),  // step 3, value 50
      finished(3, TrialState::Complete, {2.0}),
      finished(4, TrialState::Pruned, {}),                              // reported nothing
      finished(5, TrialState::Pruned, {7.0}, {{3, 7.0}}),               // step 3, value 7
      finished(6, TrialState::Running, {}),
  };
  const std::vector<StudyDirection> minimize{StudyDirection::Minimize};
  auto s = split_trials(pointers(trials), 3, minimize);
  EXPECT_EQ(s.below, (std::vector<std::size_t>{0, 3, 5}));
  EXPECT_EQ(s.above, (std::vector<std::size_t>{1, 2, 4, 6}));
  s = split_trials(pointers(trials), 5, minimize);
  EXPECT_EQ(s.below, (std::vector<std::size_t>{0, 1, 2, 3, 5}));
  s = split_trials(pointers(trials), 1, minimize);
  EXPECT_EQ(s.below, (std::vector<std::size_t>{3}));
  // Maximizing: 5 beats 2, and among the deepest pruned 50 beats 7.
  s = split_trials(pointers(trials), 3, {StudyDirection::Maximize});
  EXPECT_EQ(s.below, (std::vector<std::size_t>{0, 2, 3}));
  EXPECT_TRUE(s.below_weights.empty());
}

TEST(SplitTrials, MultiObjectiveUsesNonDominationAndHypervolumeWeights) {
  const std::vector<FrozenTrial> trials{
      finished(0, TrialState::Complete, {1, 4}),  // the second objective is maximized
      finished(1, TrialState::Complete, {3, 3}),
      finished(2, TrialState::Complete, {2, 2}),
      finished(3, TrialState::Complete, {4, 1}),
  };
  const auto s = split_trials(pointers(trials), 2, {StudyDirection::Minimize, StudyDirection::Maximize});
  // Losses (1,−4), (3,−3), (2,−2), (4,−1): rank 0 is trial 0, rank 1 trials 1 and 2, of
  // which greedy hypervolume (reference (3.3, −1.8)) keeps 1: 0.3·1.2 > 1.3·0.2.
  EXPECT_EQ(s.below, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(s.above, (std::vector<std::size_t>{2, 3}));
  // Trial 0 dominates trial 1, which contributes no hypervolume.
  EXPECT_EQ(s.below_weights, (std::vector<double>{1.0, 1e-12}));
}

}  // namespace
}  // namespace hpo::tpe
