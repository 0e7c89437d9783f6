#pragma once

#include <optional>
#include <string>

namespace hpo::sqlite {

// Optuna stores objective and intermediate values as a FLOAT column plus a type column,
// because SQL has no infinities: a finite value is (value, "FINITE"), ±inf is
// (NULL, "INF_POS"/"INF_NEG") and, for intermediate values only, NaN is (NULL, "NAN").
struct StoredFloat {
  std::optional<double> value;
  const char* type;
};

// Throws hpo::ValueError for NaN unless `allow_nan` (Optuna never stores a NaN objective
// value: a NaN result fails the trial instead).
StoredFloat encode_float(double value, bool allow_nan);
// Throws hpo::StorageError for an unknown type or a FINITE row without a value.
double decode_float(std::optional<double> value, const std::string& type);

}  // namespace hpo::sqlite
