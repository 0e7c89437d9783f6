#include "sampler_spec.hpp"

#include <functional>
#include <map>

#include "hpo/error.hpp"
#include "hpo/json.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/samplers/tpe_sampler.hpp"

namespace hpo::cli {
namespace {

// Reads one keyword argument into an options object; throws naming the key.
template <class Options>
using Setter = std::function<void(Options&, const Json&)>;

[[noreturn]] void bad_value(const std::string& key, const std::string& expected, const Json& value) {
  throw ValueError("--sampler-kwargs: '" + key + "' must be " + expected + ", got " + dump_json(value));
}

template <class Options>
Setter<Options> boolean(Options& (Options::*set)(const bool&), const std::string& key) {
  return [set, key](Options& o, const Json& v) {
    if (!v.is_boolean()) bad_value(key, "true or false", v);
    (o.*set)(v.get<bool>());
  };
}

template <class Options>
Setter<Options> count(Options& (Options::*set)(const int&), const std::string& key, int minimum) {
  return [set, key, minimum](Options& o, const Json& v) {
    if (!v.is_number_integer() || v.get<long long>() < minimum || v.get<long long>() > 1000000000)
      bad_value(key, "an integer >= " + std::to_string(minimum), v);
    (o.*set)(v.get<int>());
  };
}

template <class Options>
void set_seed(Options& o, const Json& v) {
  if (v.is_null()) return;
  if (!v.is_number_integer() || v.get<long long>() < 0) bad_value("seed", "a non-negative integer or null", v);
  o.seed(v.get<std::uint64_t>());
}

template <class Options>
Options read_kwargs(const std::string& sampler, const Json& kwargs,
                    const std::map<std::string, Setter<Options>>& setters) {
  Options options;
  for (const auto& [key, value] : kwargs.items()) {
    auto setter = setters.find(key);
    if (setter == setters.end()) {
      std::string known;
      for (const auto& entry : setters) known += (known.empty() ? "" : ", ") + entry.first;
      throw ValueError("--sampler-kwargs: unknown key '" + key + "' for " + sampler + ", expected one of " + known);
    }
    setter->second(options, value);
  }
  return options;
}

struct RandomOptions {
  std::optional<std::uint64_t> seed_;
  RandomOptions& seed(std::uint64_t s) {
    seed_ = s;
    return *this;
  }
};

}  // namespace

std::shared_ptr<Sampler> make_sampler_from_spec(const std::optional<std::string>& name,
                                                const std::optional<std::string>& kwargs_json) {
  if (!name) {
    if (kwargs_json) throw ValueError("--sampler-kwargs needs --sampler (TPESampler or RandomSampler)");
    return nullptr;
  }
  Json kwargs = Json::object();
  if (kwargs_json) {
    try {
      kwargs = parse_json(*kwargs_json);
    } catch (const ValueError& e) {
      throw ValueError(std::string("--sampler-kwargs: ") + e.what());
    }
    if (!kwargs.is_object()) throw ValueError("--sampler-kwargs must be a JSON object, got " + dump_json(kwargs));
  }
  if (*name == "TPESampler") {
    using O = TPESamplerOptions;
    const auto options = read_kwargs<O>(*name, kwargs, {
        {"seed", set_seed<O>},
        {"n_startup_trials", count<O>(&O::n_startup_trials, "n_startup_trials", 0)},
        {"n_ei_candidates", count<O>(&O::n_ei_candidates, "n_ei_candidates", 1)},
        {"multivariate", boolean<O>(&O::multivariate, "multivariate")},
        {"group", boolean<O>(&O::group, "group")},
        {"constant_liar", boolean<O>(&O::constant_liar, "constant_liar")},
        {"consider_magic_clip", boolean<O>(&O::consider_magic_clip, "consider_magic_clip")},
        {"consider_endpoints", boolean<O>(&O::consider_endpoints, "consider_endpoints")},
        {"prior_weight", [](O& o, const Json& v) {
           if (!v.is_number() || !(v.get<double>() > 0)) bad_value("prior_weight", "a positive number", v);
           o.prior_weight(v.get<double>());
         }},
    });
    try {
      return std::make_shared<TPESampler>(options);
    } catch (const ValueError& e) {
      throw ValueError(std::string("--sampler-kwargs: ") + e.what());
    }
  }
  if (*name == "RandomSampler") {
    const auto options = read_kwargs<RandomOptions>(*name, kwargs, {{"seed", set_seed<RandomOptions>}});
    return std::make_shared<RandomSampler>(options.seed_);
  }
  throw ValueError("--sampler must be TPESampler or RandomSampler, got '" + *name + "'");
}

}  // namespace hpo::cli
