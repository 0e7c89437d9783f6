#include "hpo/frozen_trial.hpp"

#include "hpo/error.hpp"

namespace hpo {

double FrozenTrial::value() const {
  if (values.size() != 1)
    throw Error("trial " + std::to_string(number) + " has " + std::to_string(values.size()) +
                " values, expected exactly one (use `values` for multi-objective trials)");
  return values[0];
}

double FrozenTrial::internal_param(const std::string& name) const {
  auto p = params.find(name);
  auto d = distributions.find(name);
  if (p == params.end() || d == distributions.end())
    throw NotFoundError("trial " + std::to_string(number) + " has no parameter '" + name + "'");
  return to_internal(d->second, p->second);
}

std::optional<std::int64_t> FrozenTrial::last_step() const {
  if (intermediate_values.empty()) return std::nullopt;
  return intermediate_values.rbegin()->first;
}

}  // namespace hpo
