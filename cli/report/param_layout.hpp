#pragma once

#include <map>
#include <string>
#include <vector>

#include "hpo/distributions.hpp"
#include "hpo/frozen_trial.hpp"
#include "report/scale.hpp"

namespace hpo::cli {

// A vector hyperparameter: the params name[0], name[1], ... of one tensor.
struct VectorParam {
  std::string name;
  std::vector<std::string> elements;  // by index
};

// The study's parameters, with the elements of vector hyperparameters grouped.
struct ParamLayout {
  std::vector<std::string> scalars;
  std::vector<VectorParam> vectors;
  std::map<std::string, Distribution> distributions;  // every param, as the latest trial has it
  std::map<std::string, std::string> vector_of;       // element → its vector's name

  std::vector<std::string> all_names() const;
};

// Params named `base[i]` (two or more of them) form a vector.
ParamLayout param_layout(const std::vector<FrozenTrial>& trials);

// An axis over the whole distribution (log when the distribution is, categories by label);
// positions are internal values (see distributions.hpp).
Scale param_scale(const Distribution& distribution);
// The param's internal value in `trial`, or NaN when it has none.
double param_position(const FrozenTrial& trial, const std::string& name);

}  // namespace hpo::cli
