#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace hpo::cli {

// A table of numeric features and one target, as the built-in tasks consume it.
struct Dataset {
  std::vector<std::string> feature_names;
  std::string target_name;
  // n_rows() × n_features(), row-major.
  std::vector<float> features;
  // The class of each row: an index into class_names.
  std::vector<int> labels;
  // The distinct target values, numerically ordered when every one is a number.
  std::vector<std::string> class_names;
  // The target of each row as a number; empty when some target is not a number.
  std::vector<double> targets;

  std::size_t n_features() const { return feature_names.size(); }
  std::size_t n_rows() const { return labels.size(); }
  int n_classes() const { return static_cast<int>(class_names.size()); }
  bool has_numeric_targets() const { return !targets.empty(); }
  const float* row(std::size_t i) const { return features.data() + i * n_features(); }
};

// The rows `indices` of `data`, in that order, with the same columns and classes.
Dataset select_rows(const Dataset& data, const std::vector<std::size_t>& indices);

}  // namespace hpo::cli
