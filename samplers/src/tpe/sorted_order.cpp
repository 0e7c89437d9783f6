#include "sorted_order.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hpo::tpe {

std::vector<std::size_t> sorted_order(const std::vector<double>& keys) {
  const std::size_t n = keys.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const auto less = [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; };
  if (n < 64) {
    std::stable_sort(order.begin(), order.end(), less);
    return order;
  }
  const auto [min, max] = std::minmax_element(keys.begin(), keys.end());
  const double low = *min, span = *max - *min;
  const double scale = static_cast<double>(n) / span;
  if (!(span > 0) || !std::isfinite(span) || !std::isfinite(scale)) {  // equal, infinite or denormal
    std::stable_sort(order.begin(), order.end(), less);
    return order;
  }
  // A bucket sort: n buckets over [min, max], a bucket's keys in index order (a counting
  // sort), then each bucket sorted stably. (key − min) · scale never decreases as the key
  // grows, so the buckets are in key order; keys spread over the range leave a few keys
  // per bucket, and clustered ones fall back to std::stable_sort inside their bucket
  // (unless they are equal, as the observations of an integer often are).
  std::vector<std::size_t> bucket(n), start(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    bucket[i] = std::min(static_cast<std::size_t>((keys[i] - low) * scale), n - 1);
    ++start[bucket[i] + 1];
  }
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<std::size_t> next(start.begin(), start.end() - 1);
  for (std::size_t i = 0; i < n; ++i) order[next[bucket[i]]++] = i;
  for (std::size_t b = 0; b < n; ++b) {
    const auto first = order.begin() + static_cast<std::ptrdiff_t>(start[b]);
    const auto last = order.begin() + static_cast<std::ptrdiff_t>(start[b + 1]);
    if (std::is_sorted(first, last, less)) continue;
    if (last - first > 16) {
      std::stable_sort(first, last, less);
      continue;
    }
    for (auto it = first + (first != last); it < last; ++it)  // insertion sort, stable
      for (auto j = it; j != first && less(*j, *(j - 1)); --j) std::iter_swap(j, j - 1);
  }
  return order;
}

}  // namespace hpo::tpe
