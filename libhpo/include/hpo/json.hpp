#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hpo {

// Attribute values, categorical choices and distribution descriptions are JSON values.
using Json = nlohmann::json;
// Keeps keys in insertion order, for output whose layout should match Optuna's.
using OrderedJson = nlohmann::ordered_json;

// Serializes like Python's json.dumps (", " and ": " separators, non-ASCII escaped as
// \uXXXX, non-finite floats as the bare tokens NaN, Infinity and -Infinity), which is
// what Optuna stores in its value_json columns.
std::string dump_json(const Json& value);
std::string dump_json(const OrderedJson& value);

// Parses JSON as Python's json.loads does: standard JSON plus the NaN, Infinity and
// -Infinity tokens. Throws hpo::ValueError naming the position and what was expected.
Json parse_json(std::string_view text);

}  // namespace hpo
