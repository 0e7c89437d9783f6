#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hpo/json.hpp"

namespace hpo {

// A float in [low, high], log-uniform when `log`, on the grid low + k*step when `step`.
// Like Optuna, a stepped distribution lowers `high` to the last point on its grid.
struct FloatDistribution {
  FloatDistribution(double low, double high, bool log = false,
                    std::optional<double> step = std::nullopt);
  double low;
  double high;
  bool log;
  std::optional<double> step;
};

// An integer in [low, high] on the grid low + k*step (log-uniform when `log`, step 1).
struct IntDistribution {
  IntDistribution(std::int64_t low, std::int64_t high, bool log = false, std::int64_t step = 1);
  std::int64_t low;
  std::int64_t high;
  bool log;
  std::int64_t step;
};

// One of `choices`; each choice is null, a bool, an int, a float or a string. The int/float
// distinction is kept (3 and 3.0 are different choices, as in Python).
struct CategoricalDistribution {
  explicit CategoricalDistribution(std::vector<Json> choices);
  std::vector<Json> choices;
};

using Distribution = std::variant<FloatDistribution, IntDistribution, CategoricalDistribution>;

bool operator==(const FloatDistribution& a, const FloatDistribution& b);
bool operator==(const IntDistribution& a, const IntDistribution& b);
bool operator==(const CategoricalDistribution& a, const CategoricalDistribution& b);

// Values are kept in Optuna's internal representation: a double holding the raw value of
// a float or int parameter and the index of a categorical choice.
double to_internal(const Distribution& d, const Json& external);
Json to_external(const Distribution& d, double internal);
bool contains(const Distribution& d, double internal);
// True when the distribution admits exactly one value.
bool is_single(const Distribution& d);
// Optuna's class name: "FloatDistribution", "IntDistribution" or "CategoricalDistribution".
std::string distribution_name(const Distribution& d);

// Optuna's distribution_json: {"name": <class>, "attributes": {...}}.
std::string distribution_to_json(const Distribution& d);
// Also reads the legacy class names (UniformDistribution, LogUniformDistribution,
// DiscreteUniformDistribution, IntUniformDistribution, IntLogUniformDistribution) and the
// short form {"type": "float"|"int"|"categorical", ...}. Throws hpo::ValueError.
Distribution distribution_from_json(std::string_view text);
Distribution distribution_from_json_value(const Json& json);

// Optuna's rule for one parameter name across a study: same kind, same log flag, and
// identical choices for categoricals. Throws hpo::ValueError naming `param_name`.
void check_distribution_compatibility(const std::string& param_name, const Distribution& old_d,
                                      const Distribution& new_d);

}  // namespace hpo
