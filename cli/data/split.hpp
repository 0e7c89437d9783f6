#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "data/dataset.hpp"

namespace hpo::cli {

struct SplitOptions {
  double valid_fraction = 0.2;
  double test_fraction = 0.0;
  // Use only this many rows, drawn at random, before splitting.
  std::optional<std::size_t> max_rows;
  std::uint64_t seed = 0;
};

struct DataSplit {
  Dataset train;
  Dataset valid;
  Dataset test;  // no rows when test_fraction is 0
};

// Shuffles the rows with `seed` (the same seed gives the same split on every platform)
// and cuts them into test, validation and training parts of the given fractions. Throws
// hpo::ValueError when a fraction is out of range or a needed part would be empty.
DataSplit split_dataset(const Dataset& data, const SplitOptions& options);

// Scales every feature to mean 0 and standard deviation 1 on the training rows and applies
// the same affine map to the other parts (a constant feature is only centered).
void standardize_features(DataSplit& split);

}  // namespace hpo::cli
