// The hash table that merges identical kernels, against a quadratic search.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "first_equal_rows.hpp"

namespace hpo::tpe {
namespace {

std::vector<std::size_t> by_search(const std::vector<double>& rows, std::size_t width) {
  const std::size_t n = rows.size() / width;
  std::vector<std::size_t> first(n);
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t j = 0; j <= k; ++j)
      if (std::equal(&rows[k * width], &rows[k * width] + width, &rows[j * width])) {
        first[k] = j;
        break;
      }
  return first;
}

TEST(FirstEqualRows, MatchesSearchWithRepeatsAndSignedZeros) {
  std::mt19937_64 gen(3);
  for (std::size_t width : {1, 2, 5}) {
    for (std::size_t n : {0, 1, 7, 300}) {
      std::vector<double> rows(n * width);
      for (double& x : rows) x = gen() % 4 == 0 ? -0.0 : static_cast<double>(gen() % 3) * 0.25;
      EXPECT_EQ(first_equal_rows(rows, width), by_search(rows, width)) << n << " rows of " << width;
    }
  }
}

}  // namespace
}  // namespace hpo::tpe
