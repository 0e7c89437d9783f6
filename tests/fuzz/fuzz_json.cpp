// libFuzzer target: attribute JSON (Python's dialect with NaN/Infinity) and Optuna's
// distribution_json. Any input must either parse or throw hpo::ValueError; whatever
// parses must survive a dump/parse round trip unchanged.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hpo/distributions.hpp"
#include "hpo/error.hpp"
#include "hpo/json.hpp"

namespace {

bool same(const hpo::Json& a, const hpo::Json& b) {
  if (a.is_number_float() && b.is_number_float()) {
    double x = a.get<double>(), y = b.get<double>();
    return (std::isnan(x) && std::isnan(y)) || x == y;
  }
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !same(it.value(), b.at(it.key()))) return false;
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  hpo::Json value;
  try {
    value = hpo::parse_json(text);
  } catch (const hpo::ValueError&) {
    return 0;
  }
  std::string dumped;
  try {
    dumped = hpo::dump_json(value);
  } catch (const hpo::ValueError&) {
    return 0;  // a string with invalid UTF-8 (from \u escapes of lone surrogates) cannot be written
  }
  if (!same(hpo::parse_json(dumped), value)) std::abort();
  try {
    hpo::Distribution d = hpo::distribution_from_json_value(value);
    if (!(hpo::distribution_from_json(hpo::distribution_to_json(d)) == d)) std::abort();
  } catch (const hpo::ValueError&) {
  }
  return 0;
}
