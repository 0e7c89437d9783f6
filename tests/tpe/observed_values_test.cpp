// The observed values kept across trials: rows, decoding, and what is not kept.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "observed_values.hpp"

namespace hpo::tpe {
namespace {

SharedTrial trial(int number, TrialState state, double x) {
  auto t = std::make_shared<FrozenTrial>();
  t->number = number;
  t->state = state;
  if (!std::isnan(x)) {
    t->params["x"] = Json(x);
    t->distributions.emplace("x", FloatDistribution(0, 10));
  }
  return t;
}

TEST(ObservedValues, KeepsRowsOfFinishedTrialsAcrossCalls) {
  ObservedValues observed;
  const FloatDistribution wide(0, 10), narrow(0, 5);
  std::vector<SharedTrial> trials{trial(0, TrialState::Complete, 1), trial(1, TrialState::Running, 2),
                                  trial(2, TrialState::Complete, 7), trial(3, TrialState::Pruned, NAN)};
  auto rows = observed.rows(trials);
  EXPECT_EQ(rows[1], ObservedValues::kNoRow);
  auto values = observed.values(trials, rows, "x", wide);
  EXPECT_EQ(values[0], 1);
  EXPECT_EQ(values[1], 2);  // decoded, not kept
  EXPECT_EQ(values[2], 7);
  EXPECT_TRUE(std::isnan(values[3]));  // no such parameter
  values = observed.values(trials, rows, "x", narrow);
  EXPECT_TRUE(std::isnan(values[2]));  // outside the distribution

  // The running trial finished, another was added in between: earlier rows stay.
  std::vector<SharedTrial> later{trials[0], trial(1, TrialState::Complete, 3), trials[2], trials[3],
                                 trial(4, TrialState::Complete, 4)};
  const auto later_rows = observed.rows(later);
  EXPECT_EQ(later_rows[0], rows[0]);
  EXPECT_EQ(later_rows[2], rows[2]);
  EXPECT_EQ(later_rows[3], rows[3]);
  values = observed.values(later, later_rows, "x", wide);
  ASSERT_EQ(values.size(), 5u);
  EXPECT_EQ(values[0], 1);
  EXPECT_EQ(values[1], 3);
  EXPECT_EQ(values[2], 7);
  EXPECT_TRUE(std::isnan(values[3]));
  EXPECT_EQ(values[4], 4);
}

TEST(ObservedValues, CopiesOfFinishedTrialsOnEveryCallDoNotAccumulate) {
  ObservedValues observed;
  for (int call = 0; call < 50; ++call) {
    std::vector<SharedTrial> trials;
    for (int i = 0; i < 10; ++i) trials.push_back(trial(i, TrialState::Complete, i));
    const auto rows = observed.rows(trials);
    for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_LT(rows[i], 2 * trials.size() + 64 + 1);
    EXPECT_EQ(observed.values(trials, rows, "x", FloatDistribution(0, 10))[9], 9);
  }
}

}  // namespace
}  // namespace hpo::tpe
