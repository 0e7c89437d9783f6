#include "first_equal_rows.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace hpo::tpe {

std::vector<std::size_t> first_equal_rows(std::vector<double> rows, std::size_t width) {
  const std::size_t n = width == 0 ? 0 : rows.size() / width;
  std::vector<std::size_t> first(n);
  if (n == 0) return first;
  for (double& x : rows) x += 0.0;  // −0.0 becomes 0.0, so that equal rows have equal bits
  const auto row = [&](std::size_t k) { return rows.data() + k * width; };
  const auto hash = [&](std::size_t k) {
    std::uint64_t h = 0;
    for (const double* x = row(k); x != row(k) + width; ++x) {
      std::uint64_t bits;
      std::memcpy(&bits, x, sizeof bits);
      h = (h ^ bits) * 0x9E3779B97F4A7C15ULL;
    }
    return h;
  };
  // The slot is the hash's top bits, which depend on every bit of the row (the low ones
  // only on the rows' low bits, all zero for small integers).
  int bits = 1;
  while ((std::size_t{1} << bits) < 2 * n) ++bits;
  const std::size_t capacity = std::size_t{1} << bits;
  constexpr std::size_t kEmpty = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> table(capacity, kEmpty);  // row indices
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t slot = static_cast<std::size_t>(hash(k) >> (64 - bits));
    while (table[slot] != kEmpty && !std::equal(row(k), row(k) + width, row(table[slot])))
      slot = (slot + 1) & (capacity - 1);
    if (table[slot] == kEmpty) table[slot] = k;
    first[k] = table[slot];
  }
  return first;
}

}  // namespace hpo::tpe
