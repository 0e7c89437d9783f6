// The radix sort behind the kernel widths against std::sort of (key, index) pairs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include "sorted_order.hpp"

namespace hpo::tpe {
namespace {

std::vector<std::size_t> by_pairs(const std::vector<double>& keys) {
  std::vector<std::pair<double, std::size_t>> pairs;
  for (std::size_t i = 0; i < keys.size(); ++i) pairs.emplace_back(keys[i], i);
  std::sort(pairs.begin(), pairs.end());
  std::vector<std::size_t> order;
  for (const auto& pair : pairs) order.push_back(pair.second);
  return order;
}

TEST(SortedOrder, MatchesSortedPairsWithTiesAndSignedZeros) {
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> uniform(-1e3, 1e3);
  for (std::size_t n : {0, 1, 5, 63, 64, 65, 1000, 5000}) {
    std::vector<double> keys(n);
    for (std::size_t i = 0; i < n; ++i) {
      switch (gen() % 6) {
        case 0: keys[i] = 0.0; break;
        case 1: keys[i] = -0.0; break;
        case 2: keys[i] = static_cast<double>(gen() % 8) - 4; break;  // ties
        default: keys[i] = uniform(gen) * std::pow(10.0, static_cast<double>(gen() % 20) - 10);
      }
    }
    EXPECT_EQ(sorted_order(keys), by_pairs(keys)) << n << " keys";
  }
}

TEST(SortedOrder, InfinitiesAndOneByteDifferences) {
  const std::vector<double> keys{1.0, std::nextafter(1.0, 2.0), -INFINITY, INFINITY, 1.0, -1e-300, 1e-300};
  std::vector<double> many;
  for (int r = 0; r < 20; ++r) many.insert(many.end(), keys.begin(), keys.end());
  EXPECT_EQ(sorted_order(keys), by_pairs(keys));
  EXPECT_EQ(sorted_order(many), by_pairs(many));
}

TEST(SortedOrder, ClusteredKeysAndTinySpans) {
  std::mt19937_64 gen(11);
  std::vector<double> clustered;  // all but one key in the first bucket
  for (int i = 0; i < 500; ++i) clustered.push_back(1 + static_cast<double>(gen() % 50) * 1e-9);
  clustered.push_back(1e6);
  EXPECT_EQ(sorted_order(clustered), by_pairs(clustered));
  std::vector<double> denormal;  // n / span overflows
  for (int i = 0; i < 100; ++i) denormal.push_back(static_cast<double>(gen() % 3) * 4.9e-324);
  EXPECT_EQ(sorted_order(denormal), by_pairs(denormal));
}

}  // namespace
}  // namespace hpo::tpe
