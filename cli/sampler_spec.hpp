#pragma once

#include <memory>
#include <optional>
#include <string>

#include "hpo/sampler.hpp"

namespace hpo::cli {

// A sampler named as Optuna's CLI names it: --sampler TPESampler or RandomSampler, with
// --sampler-kwargs '{"seed": 0, "multivariate": true}'. Throws hpo::ValueError naming the
// offending key (or name) before anything is opened, so bad input leaves the database
// untouched. No name: null (the study's default, TPESampler).
std::shared_ptr<Sampler> make_sampler_from_spec(const std::optional<std::string>& name,
                                                const std::optional<std::string>& kwargs_json);

}  // namespace hpo::cli
