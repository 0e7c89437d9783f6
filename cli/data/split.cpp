#include "data/split.hpp"

#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "hpo/error.hpp"

namespace hpo::cli {

namespace {

// Fisher-Yates with the raw 64-bit engine, so the order does not depend on the standard
// library's distributions.
std::vector<std::size_t> shuffled_indices(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> indices(n);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  std::mt19937_64 engine(seed);
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(engine() % i);
    std::swap(indices[i - 1], indices[j]);
  }
  return indices;
}

std::size_t part_size(double fraction, std::size_t n_rows) {
  return static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n_rows)));
}

void check_fractions(const SplitOptions& options) {
  if (!(options.valid_fraction > 0.0 && options.valid_fraction < 1.0)) {
    throw ValueError("--valid-fraction must be in (0, 1), got " +
                     std::to_string(options.valid_fraction));
  }
  if (!(options.test_fraction >= 0.0 && options.test_fraction < 1.0)) {
    throw ValueError("--test-fraction must be in [0, 1), got " +
                     std::to_string(options.test_fraction));
  }
  if (options.valid_fraction + options.test_fraction >= 1.0) {
    throw ValueError("--valid-fraction plus --test-fraction must be below 1, got " +
                     std::to_string(options.valid_fraction + options.test_fraction));
  }
}

}  // namespace

DataSplit split_dataset(const Dataset& data, const SplitOptions& options) {
  check_fractions(options);
  if (options.max_rows && *options.max_rows == 0) throw ValueError("--max-rows must be positive");
  std::vector<std::size_t> order = shuffled_indices(data.n_rows(), options.seed);
  if (options.max_rows && *options.max_rows < order.size()) order.resize(*options.max_rows);

  const std::size_t n = order.size();
  const std::size_t n_test = part_size(options.test_fraction, n);
  const std::size_t n_valid = part_size(options.valid_fraction, n);
  if (n_valid == 0 || (options.test_fraction > 0.0 && n_test == 0) || n_test + n_valid >= n) {
    throw ValueError("cannot split " + std::to_string(n) + " rows into non-empty training, " +
                     "validation and test parts with these fractions");
  }
  const auto part = [&](std::size_t begin, std::size_t end) {
    return select_rows(data, std::vector<std::size_t>(order.begin() + static_cast<long>(begin),
                                                      order.begin() + static_cast<long>(end)));
  };
  DataSplit split;
  split.test = part(0, n_test);
  split.valid = part(n_test, n_test + n_valid);
  split.train = part(n_test + n_valid, n);
  return split;
}

void standardize_features(DataSplit& split) {
  const std::size_t width = split.train.n_features();
  const std::size_t n = split.train.n_rows();
  std::vector<double> mean(width, 0.0);
  std::vector<double> square_sum(width, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = split.train.row(i);
    for (std::size_t c = 0; c < width; ++c) mean[c] += row[c];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = split.train.row(i);
    for (std::size_t c = 0; c < width; ++c) square_sum[c] += (row[c] - mean[c]) * (row[c] - mean[c]);
  }
  std::vector<double> scale(width, 1.0);
  for (std::size_t c = 0; c < width; ++c) {
    const double deviation = std::sqrt(square_sum[c] / static_cast<double>(n));
    if (deviation > 1e-12) scale[c] = 1.0 / deviation;
  }
  for (Dataset* part : {&split.train, &split.valid, &split.test}) {
    for (std::size_t i = 0; i < part->features.size(); ++i) {
      const std::size_t c = i % width;
      part->features[i] = static_cast<float>((part->features[i] - mean[c]) * scale[c]);
    }
  }
}

}  // namespace hpo::cli
