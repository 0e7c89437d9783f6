#include "report/hybrid_record.hpp"

#include <cmath>

namespace hpo::cli {

namespace {

const Json* find(const AttrMap& attrs, const std::string& key) {
  const auto it = attrs.find(key);
  return it == attrs.end() ? nullptr : &it->second;
}

const Json* find(const Json& object, const std::string& key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

HybridRecord read_hybrid_record(const AttrMap& system_attrs) {
  HybridRecord record;
  if (const Json* mode = find(system_attrs, "hybrid:mode"); mode && mode->is_string()) {
    record.mode = mode->get<std::string>();
  }
  if (const Json* parent = find(system_attrs, "hybrid:parent"); parent && parent->is_number_integer()) {
    record.parent = parent->get<int>();
  }
  const Json* hypergrad = find(system_attrs, "hypergrad");
  if (!hypergrad) return record;
  if (const Json* initial = find(*hypergrad, "initial_params"); initial && initial->is_object()) {
    for (const auto& [name, value] : initial->items()) {
      if (value.is_number()) record.initial_params[name] = value.get<double>();
    }
  }
  if (const Json* norms = find(*hypergrad, "hypergradient_norms"); norms && norms->is_array()) {
    for (const Json& norm : *norms) record.hypergradient_norms.push_back(norm.is_number() ? norm.get<double>() : NAN);
  }
  if (const Json* method = find(*hypergrad, "method"); method && method->is_string()) {
    record.method = method->get<std::string>();
  }
  if (const Json* steps = find(*hypergrad, "hyper_steps"); steps && steps->is_number_integer()) {
    record.hyper_steps = steps->get<long long>();
  }
  if (const Json* runs = find(*hypergrad, "whole_runs"); runs && runs->is_array()) {
    for (const Json& run : *runs) record.whole_runs.push_back(run.is_number() ? run.get<double>() : NAN);
  }
  if (const Json* best = find(*hypergrad, "best_run"); best && best->is_number_integer()) {
    record.best_run = best->get<int>();
  }
  return record;
}

}  // namespace hpo::cli
