#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hpo/hypergrad/method.hpp"

namespace hpo::hypergrad {

// The names make_method() accepts: t1t2, neumann, cg, drmad, unrolled.
const std::vector<std::string>& method_names();

// Builds a method from its name and option settings, the inverse of Method::name() and
// Method::settings() (so a method stored as trial attributes can be rebuilt). Keys:
//   neumann:  terms, alpha, power_iterations, adapt_alpha
//   cg:       max_iterations, tolerance, tolerance_decay, warm_start
//   drmad:    points
//   unrolled: steps
// Missing keys keep their defaults. Unknown names or keys, and counts that are not
// non-negative integers, throw hpo::ValueError.
std::unique_ptr<Method> make_method(const std::string& name, const Settings& settings = {});

}  // namespace hpo::hypergrad
