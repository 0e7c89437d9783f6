#include "hpo/hypergrad/make_method.hpp"

#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "hpo/error.hpp"

namespace hpo::hypergrad {
namespace {

// Hands out each setting once; whatever is left at the end was not understood.
class SettingsReader {
 public:
  SettingsReader(std::string method, const Settings& settings) : method_(std::move(method)) {
    for (const auto& [key, value] : settings) {
      if (!remaining_.emplace(key, value).second) fail(key, "is given twice");
    }
  }

  std::optional<double> number(const std::string& key) {
    const auto found = remaining_.find(key);
    if (found == remaining_.end()) return std::nullopt;
    const double value = found->second;
    remaining_.erase(found);
    return value;
  }

  std::optional<int64_t> count(const std::string& key) {
    const std::optional<double> value = number(key);
    if (value && !(*value >= 0 && std::floor(*value) == *value)) {
      fail(key, "must be a non-negative integer, got " + std::to_string(*value));
    }
    if (!value) return std::nullopt;
    return static_cast<int64_t>(*value);
  }

  std::optional<bool> flag(const std::string& key) {
    const std::optional<double> value = number(key);
    if (value && *value != 0 && *value != 1) {
      fail(key, "must be 0 or 1, got " + std::to_string(*value));
    }
    if (!value) return std::nullopt;
    return *value == 1;
  }

  // Throws for any key no option asked for.
  void finish() const {
    if (!remaining_.empty()) fail(remaining_.begin()->first, "is not an option of this method");
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw ValueError("method '" + method_ + "': setting '" + key + "' " + problem);
  }

  std::string method_;
  std::map<std::string, double> remaining_;
};

MethodOptions neumann_options(SettingsReader& reader) {
  NeumannOptions options;
  if (auto terms = reader.count("terms")) options.terms(*terms);
  if (auto alpha = reader.number("alpha")) options.alpha(*alpha);
  if (auto iterations = reader.count("power_iterations")) options.power_iterations(*iterations);
  if (auto adapt = reader.flag("adapt_alpha")) options.adapt_alpha(*adapt);
  if (auto damping = reader.number("damping")) options.damping(*damping);
  if (auto adaptive = reader.flag("adaptive_damping")) options.adaptive_damping(*adaptive);
  return options;
}

MethodOptions conjugate_gradient_options(SettingsReader& reader) {
  ConjugateGradientOptions options;
  if (auto iterations = reader.count("max_iterations")) options.max_iterations(*iterations);
  if (auto tolerance = reader.number("tolerance")) options.tolerance(*tolerance);
  if (auto decay = reader.number("tolerance_decay")) options.tolerance_decay(*decay);
  if (auto warm = reader.flag("warm_start")) options.warm_start(*warm);
  if (auto damping = reader.number("damping")) options.damping(*damping);
  if (auto adaptive = reader.flag("adaptive_damping")) options.adaptive_damping(*adaptive);
  return options;
}

MethodOptions drmad_options(SettingsReader& reader) {
  DrMADOptions options;
  if (auto points = reader.count("points")) options.points(*points);
  if (auto keep = reader.flag("keep_window")) options.keep_window(*keep);
  return options;
}

MethodOptions unrolled_options(SettingsReader& reader) {
  UnrolledOptions options;
  if (auto steps = reader.count("steps")) options.steps(*steps);
  return options;
}

MethodOptions t1t2_options(SettingsReader& /*reader*/) { return T1T2Options{}; }

using Reader = MethodOptions (*)(SettingsReader&);

const std::map<std::string, Reader>& readers() {
  static const std::map<std::string, Reader> table{{"t1t2", t1t2_options},
                                                   {"neumann", neumann_options},
                                                   {"cg", conjugate_gradient_options},
                                                   {"drmad", drmad_options},
                                                   {"unrolled", unrolled_options}};
  return table;
}

struct MethodMaker {
  std::unique_ptr<Method> operator()(const T1T2Options&) const { return std::make_unique<T1T2>(); }
  std::unique_ptr<Method> operator()(const NeumannOptions& o) const { return std::make_unique<Neumann>(o); }
  std::unique_ptr<Method> operator()(const ConjugateGradientOptions& o) const {
    return std::make_unique<ConjugateGradient>(o);
  }
  std::unique_ptr<Method> operator()(const DrMADOptions& o) const { return std::make_unique<DrMAD>(o); }
  std::unique_ptr<Method> operator()(const UnrolledOptions& o) const { return std::make_unique<Unrolled>(o); }
};

}  // namespace

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names{"t1t2", "neumann", "cg", "drmad", "unrolled"};
  return names;
}

std::unique_ptr<Method> make_method(const MethodOptions& options) { return std::visit(MethodMaker{}, options); }

std::unique_ptr<Method> make_method(const std::string& name, const Settings& settings) {
  return make_method(method_options(name, settings));
}

MethodOptions method_options(const std::string& name, const Settings& settings) {
  const auto found = readers().find(name);
  if (found == readers().end()) {
    std::ostringstream message;
    message << "unknown hypergradient method '" << name << "'; expected one of";
    for (const std::string& known : method_names()) message << ' ' << known;
    throw ValueError(message.str());
  }
  SettingsReader reader(name, settings);
  MethodOptions options = found->second(reader);
  reader.finish();
  return options;
}

}  // namespace hpo::hypergrad
