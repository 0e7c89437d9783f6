#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "hpo/random_sampler.hpp"

namespace hpo {
namespace {

TEST(RandomSampler, LogUniformSpreadsOverDecades) {
  RandomSampler s(7);
  FloatDistribution d(1e-6, 1.0, true);
  int per_decade[6] = {};
  const int n = 6000;
  for (int i = 0; i < n; ++i) {
    double v = s.sample(d, i, "lr");
    ASSERT_TRUE(contains(d, v));
    per_decade[std::min(5, static_cast<int>(std::floor(std::log10(v) + 6)))]++;
  }
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(per_decade[k], n / 6, n / 6 * 0.15) << "decade " << k;
}

TEST(RandomSampler, UniformMeanAndStepGrid) {
  RandomSampler s(1);
  double sum = 0;
  for (int i = 0; i < 4000; ++i) sum += s.sample(FloatDistribution(2.0, 4.0), i, "x");
  EXPECT_NEAR(sum / 4000, 3.0, 0.05);
  FloatDistribution stepped(0.0, 1.0, false, 0.25);
  std::set<double> seen;
  for (int i = 0; i < 500; ++i) {
    double v = s.sample(stepped, i, "q");
    ASSERT_TRUE(contains(stepped, v)) << v;
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 5u);
  IntDistribution ints(0, 100, false, 5);
  std::set<double> ivals;
  for (int i = 0; i < 2000; ++i) {
    double v = s.sample(ints, i, "n");
    ASSERT_TRUE(contains(ints, v)) << v;
    ivals.insert(v);
  }
  EXPECT_EQ(ivals.size(), 21u);
  IntDistribution logints(1, 1000, true);
  int below_10 = 0;
  for (int i = 0; i < 3000; ++i) {
    double v = s.sample(logints, i, "m");
    ASSERT_TRUE(contains(logints, v));
    below_10 += v < 10;
  }
  EXPECT_NEAR(below_10 / 3000.0, std::log(9.5 / 0.5) / std::log(1000.5 / 0.5), 0.04);
  CategoricalDistribution c({"a", "b", "c"});
  int counts[3] = {};
  for (int i = 0; i < 3000; ++i) counts[static_cast<int>(s.sample(c, i, "c"))]++;
  for (int k : counts) EXPECT_NEAR(k, 1000, 120);
}

TEST(RandomSampler, SeedsReproduceAndDiffer) {
  RandomSampler a(42), b(42), c(43);
  FloatDistribution d(0, 1);
  int same = 0;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(a.sample(d, i, "x"), b.sample(d, i, "x"));
    same += a.sample(d, i, "x") == c.sample(d, i, "x");
  }
  EXPECT_EQ(same, 0);
  EXPECT_NE(a.sample(d, 0, "x"), a.sample(d, 0, "y"));
  EXPECT_NE(a.sample(d, 0, "x", 0), a.sample(d, 0, "x", 1));
}

}  // namespace
}  // namespace hpo
