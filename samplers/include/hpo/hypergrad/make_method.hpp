#pragma once

#include <memory>
#include <string>
#include <vector>

#include <variant>

#include "hpo/hypergrad/conjugate_gradient.hpp"
#include "hpo/hypergrad/drmad.hpp"
#include "hpo/hypergrad/method.hpp"
#include "hpo/hypergrad/neumann.hpp"
#include "hpo/hypergrad/t1t2.hpp"
#include "hpo/hypergrad/unrolled.hpp"

namespace hpo::hypergrad {

// The names make_method() accepts: t1t2, neumann, cg, drmad, unrolled.
const std::vector<std::string>& method_names();

// A method and its options, typed: the alternative chooses the method.
using MethodOptions =
    std::variant<T1T2Options, NeumannOptions, ConjugateGradientOptions, DrMADOptions, UnrolledOptions>;

std::unique_ptr<Method> make_method(const MethodOptions& options);

// The options named by a method's name and settings, the inverse of Method::name() and
// Method::settings() (so a method stored as trial attributes, or given on a command
// line, can be rebuilt). Keys:
//   neumann:  terms, alpha, power_iterations, adapt_alpha, damping
//   cg:       max_iterations, tolerance, tolerance_decay, warm_start, damping, adaptive_damping
//   drmad:    points
//   unrolled: steps
// Missing keys keep their defaults. Unknown names or keys, and counts that are not
// non-negative integers, throw hpo::ValueError.
MethodOptions method_options(const std::string& name, const Settings& settings = {});
std::unique_ptr<Method> make_method(const std::string& name, const Settings& settings = {});

}  // namespace hpo::hypergrad
