#include "sqlite_float_encoding.hpp"

#include <cmath>
#include <limits>

#include "hpo/error.hpp"

namespace hpo::sqlite {

StoredFloat encode_float(double value, bool allow_nan) {
  if (std::isnan(value)) {
    if (!allow_nan) {
      throw ValueError("an objective value must not be NaN (a NaN result fails the trial)");
    }
    return {std::nullopt, "NAN"};
  }
  if (std::isinf(value)) return {std::nullopt, value > 0 ? "INF_POS" : "INF_NEG"};
  return {value, "FINITE"};
}

double decode_float(std::optional<double> value, const std::string& type) {
  if (type == "FINITE" && value) return *value;
  if (type == "INF_POS") return std::numeric_limits<double>::infinity();
  if (type == "INF_NEG") return -std::numeric_limits<double>::infinity();
  if (type == "NAN") return std::numeric_limits<double>::quiet_NaN();
  throw StorageError("cannot read a stored value of type '" + type + "'" +
                     (value ? "" : " without a value") +
                     "; expected FINITE with a value, INF_POS, INF_NEG or NAN");
}

}  // namespace hpo::sqlite
