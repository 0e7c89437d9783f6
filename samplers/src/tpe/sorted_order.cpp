#include "sorted_order.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <utility>

namespace hpo::tpe {
namespace {

// Unsigned integers that order as the doubles do: negative numbers flipped entirely,
// positive ones with the sign bit set.
std::uint64_t ordered_bits(double x) {
  x += 0.0;  // −0.0 becomes 0.0
  std::uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits >> 63 ? ~bits : bits | (std::uint64_t{1} << 63);
}

}  // namespace

std::vector<std::size_t> sorted_order(const std::vector<double>& keys) {
  const std::size_t n = keys.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (n < 64) {
    std::stable_sort(order.begin(), order.end(), [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    return order;
  }
  // Least significant byte first; each pass is stable, so ties stay in index order.
  constexpr int kPasses = 8;
  std::vector<std::uint64_t> bits(n);
  std::vector<std::array<std::size_t, 256>> counts(kPasses);
  for (auto& count : counts) count.fill(0);
  for (std::size_t i = 0; i < n; ++i) {
    bits[i] = ordered_bits(keys[i]);
    for (int pass = 0; pass < kPasses; ++pass) ++counts[pass][(bits[i] >> (8 * pass)) & 0xff];
  }
  std::vector<std::size_t> next(n);
  for (int pass = 0; pass < kPasses; ++pass) {
    auto& count = counts[pass];
    const int shift = 8 * pass;
    if (count[(bits[0] >> shift) & 0xff] == n) continue;  // every key has this byte
    std::size_t offset = 0;
    for (std::size_t& c : count) offset += std::exchange(c, offset);
    for (std::size_t i : order) next[count[(bits[i] >> shift) & 0xff]++] = i;
    order.swap(next);
  }
  return order;
}

}  // namespace hpo::tpe
