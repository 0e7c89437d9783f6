#include "hpo/distributions.hpp"

#include <cmath>
#include <sstream>

#include "hpo/error.hpp"

namespace hpo {
namespace {

std::string num(double v) { return Json(v).dump(); }

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

bool is_choice_type(const Json& c) {
  return c.is_null() || c.is_boolean() || c.is_number() || c.is_string();
}

// Python's equality puts 1 == 1.0 == True; we prefer a same-type match so that choices
// [1, true] stay distinct, and fall back to numeric equality (1 vs 1.0) like Python.
std::optional<std::size_t> index_of(const std::vector<Json>& choices, const Json& value) {
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i].type() == value.type() && choices[i] == value) return i;
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i].is_number() && value.is_number() && choices[i] == value) return i;
  return std::nullopt;
}

const Json& require(const Json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key))
    throw ValueError("distribution JSON " + where + " lacks the attribute \"" + key + "\"");
  return obj.at(key);
}

double as_double(const Json& v, const char* key) {
  if (!v.is_number())
    throw ValueError(std::string("distribution attribute \"") + key + "\" is " + dump_json(v) +
                     ", expected a number");
  return v.get<double>();
}

std::int64_t as_int(const Json& v, const char* key) {
  double d = as_double(v, key);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (std::floor(d) != d || std::abs(d) > 9.0e15)
    throw ValueError(std::string("distribution attribute \"") + key + "\" is " + dump_json(v) +
                     ", expected an integer");
  return static_cast<std::int64_t>(d);
}

bool as_bool(const Json& obj, const char* key, bool fallback) {
  if (!obj.contains(key) || obj.at(key).is_null()) return fallback;
  if (!obj.at(key).is_boolean())
    throw ValueError(std::string("distribution attribute \"") + key + "\" is " +
                     dump_json(obj.at(key)) + ", expected true or false");
  return obj.at(key).get<bool>();
}

std::optional<double> optional_double(const Json& obj, const char* key) {
  if (!obj.contains(key) || obj.at(key).is_null()) return std::nullopt;
  return as_double(obj.at(key), key);
}

std::vector<Json> as_choices(const Json& v) {
  if (!v.is_array())
    throw ValueError("categorical choices are " + dump_json(v) + ", expected a JSON array");
  return std::vector<Json>(v.begin(), v.end());
}

// Choices are scalars (checked by CategoricalDistribution), so this copies them exactly,
// non-finite floats included (a round trip through text would turn those into null).
OrderedJson to_ordered(const Json& scalar) {
  switch (scalar.type()) {
    case Json::value_t::boolean: return scalar.get<bool>();
    case Json::value_t::number_integer: return scalar.get<std::int64_t>();
    case Json::value_t::number_unsigned: return scalar.get<std::uint64_t>();
    case Json::value_t::number_float: return scalar.get<double>();
    case Json::value_t::string: return scalar.get<std::string>();
    default: return nullptr;
  }
}

Distribution from_long_form(const std::string& name, const Json& a) {
  const std::string where = "of class " + name;
  auto low = [&] { return require(a, "low", where); };
  auto high = [&] { return require(a, "high", where); };
  if (name == "FloatDistribution")
    return FloatDistribution(as_double(low(), "low"), as_double(high(), "high"),
                             as_bool(a, "log", false), optional_double(a, "step"));
  if (name == "IntDistribution")
    return IntDistribution(as_int(low(), "low"), as_int(high(), "high"), as_bool(a, "log", false),
                           a.contains("step") ? as_int(a.at("step"), "step") : 1);
  if (name == "CategoricalDistribution")
    return CategoricalDistribution(as_choices(require(a, "choices", where)));
  if (name == "UniformDistribution")
    return FloatDistribution(as_double(low(), "low"), as_double(high(), "high"));
  if (name == "LogUniformDistribution")
    return FloatDistribution(as_double(low(), "low"), as_double(high(), "high"), true);
  if (name == "DiscreteUniformDistribution")
    return FloatDistribution(as_double(low(), "low"), as_double(high(), "high"), false,
                             as_double(require(a, "q", where), "q"));
  if (name == "IntUniformDistribution")
    return IntDistribution(as_int(low(), "low"), as_int(high(), "high"), false,
                           a.contains("step") ? as_int(a.at("step"), "step") : 1);
  if (name == "IntLogUniformDistribution")
    return IntDistribution(as_int(low(), "low"), as_int(high(), "high"), true);
  throw ValueError("unknown distribution class \"" + name +
                   "\", expected FloatDistribution, IntDistribution, CategoricalDistribution "
                   "or a legacy Optuna class name");
}

Distribution from_short_form(const Json& j) {
  const Json& type = j.at("type");
  std::string t = type.is_string() ? type.get<std::string>() : dump_json(type);
  if (t == "categorical") return CategoricalDistribution(as_choices(require(j, "choices", "of type categorical")));
  if (t == "float")
    return FloatDistribution(as_double(require(j, "low", "of type float"), "low"),
                             as_double(require(j, "high", "of type float"), "high"),
                             as_bool(j, "log", false), optional_double(j, "step"));
  if (t == "int")
    return IntDistribution(as_int(require(j, "low", "of type int"), "low"),
                           as_int(require(j, "high", "of type int"), "high"), as_bool(j, "log", false),
                           j.contains("step") && !j.at("step").is_null() ? as_int(j.at("step"), "step") : 1);
  throw ValueError("unknown distribution type \"" + t + "\", expected float, int or categorical");
}

}  // namespace

FloatDistribution::FloatDistribution(double low_, double high_, bool log_, std::optional<double> step_)
    : low(low_), high(high_), log(log_), step(step_) {
  if (!std::isfinite(low) || !std::isfinite(high))
    throw ValueError("float distribution bounds [" + num(low) + ", " + num(high) +
                     "] must be finite numbers");
  if (low > high)
    throw ValueError("float distribution has low=" + num(low) + " > high=" + num(high) +
                     ", expected low <= high");
  if (log && step)
    throw ValueError("float distribution has both log=true and step=" + num(*step) +
                     ", expected at most one of them");
  if (log && low <= 0)
    throw ValueError("log float distribution has low=" + num(low) + ", expected low > 0");
  if (step) {
    if (!(*step > 0) || !std::isfinite(*step))
      throw ValueError("float distribution has step=" + num(*step) + ", expected step > 0");
    // Lower high to the last grid point, as Optuna does (tolerating rounding noise).
    double k = std::floor((high - low) / *step + 1e-9);
    double last = low + k * *step;
    if (std::abs(last - high) > 1e-9 * std::max(1.0, std::abs(high))) high = last;
  }
}

IntDistribution::IntDistribution(std::int64_t low_, std::int64_t high_, bool log_, std::int64_t step_)
    : low(low_), high(high_), log(log_), step(step_) {
  if (low > high)
    throw ValueError("int distribution has low=" + std::to_string(low) + " > high=" +
                     std::to_string(high) + ", expected low <= high");
  if (step <= 0)
    throw ValueError("int distribution has step=" + std::to_string(step) + ", expected step > 0");
  if (log && step != 1)
    throw ValueError("log int distribution has step=" + std::to_string(step) +
                     ", expected step 1 (log and step are exclusive)");
  if (log && low < 1)
    throw ValueError("log int distribution has low=" + std::to_string(low) + ", expected low >= 1");
  high = low + (high - low) / step * step;
}

CategoricalDistribution::CategoricalDistribution(std::vector<Json> choices_)
    : choices(std::move(choices_)) {
  if (choices.empty())
    throw ValueError("categorical distribution has no choices, expected at least one");
  for (const auto& c : choices)
    if (!is_choice_type(c))
      throw ValueError("categorical choice " + dump_json(c) +
                       " is not allowed, expected null, a bool, a number or a string");
}

bool operator==(const FloatDistribution& a, const FloatDistribution& b) {
  return a.low == b.low && a.high == b.high && a.log == b.log && a.step == b.step;
}
bool operator==(const IntDistribution& a, const IntDistribution& b) {
  return a.low == b.low && a.high == b.high && a.log == b.log && a.step == b.step;
}
bool operator==(const CategoricalDistribution& a, const CategoricalDistribution& b) {
  if (a.choices.size() != b.choices.size()) return false;
  for (std::size_t i = 0; i < a.choices.size(); ++i)
    if (a.choices[i].type() != b.choices[i].type() || a.choices[i] != b.choices[i]) return false;
  return true;
}

double to_internal(const Distribution& d, const Json& external) {
  return std::visit(
      Overloaded{
          [&](const FloatDistribution&) {
            if (!external.is_number())
              throw ValueError("value " + dump_json(external) + " is not a number, expected a float");
            return external.get<double>();
          },
          [&](const IntDistribution&) {
            if (!external.is_number())
              throw ValueError("value " + dump_json(external) + " is not a number, expected an int");
            return external.get<double>();
          },
          [&](const CategoricalDistribution& c) {
            auto i = index_of(c.choices, external);
            if (!i)
              throw ValueError("value " + dump_json(external) + " is not one of the choices " +
                               dump_json(Json(c.choices)));
            return static_cast<double>(*i);
          }},
      d);
}

Json to_external(const Distribution& d, double internal) {
  return std::visit(
      Overloaded{[&](const FloatDistribution&) { return Json(internal); },
                 [&](const IntDistribution&) { return Json(static_cast<std::int64_t>(std::llround(internal))); },
                 [&](const CategoricalDistribution& c) {
                   double r = std::round(internal);
                   if (!(r >= 0 && r < static_cast<double>(c.choices.size())))
                     throw ValueError("categorical index " + num(internal) + " is out of range [0, " +
                                      std::to_string(c.choices.size()) + ")");
                   return c.choices[static_cast<std::size_t>(r)];
                 }},
      d);
}

bool contains(const Distribution& d, double v) {
  return std::visit(
      Overloaded{[&](const FloatDistribution& f) {
                   if (!(f.low <= v && v <= f.high)) return false;
                   if (!f.step) return true;
                   double k = (v - f.low) / *f.step;
                   return std::abs(k - std::round(k)) < 1e-8;
                 },
                 [&](const IntDistribution& i) {
                   if (std::floor(v) != v) return false;
                   if (!(static_cast<double>(i.low) <= v && v <= static_cast<double>(i.high))) return false;
                   return (static_cast<std::int64_t>(v) - i.low) % i.step == 0;
                 },
                 [&](const CategoricalDistribution& c) {
                   return std::floor(v) == v && v >= 0 && v < static_cast<double>(c.choices.size());
                 }},
      d);
}

bool is_single(const Distribution& d) {
  return std::visit(Overloaded{[](const FloatDistribution& f) {
                                 return f.low == f.high || (f.step && f.high - f.low < *f.step);
                               },
                               [](const IntDistribution& i) { return i.high - i.low < i.step; },
                               [](const CategoricalDistribution& c) { return c.choices.size() == 1; }},
                    d);
}

std::string distribution_name(const Distribution& d) {
  static const char* kNames[] = {"FloatDistribution", "IntDistribution", "CategoricalDistribution"};
  return kNames[d.index()];
}

std::string distribution_to_json(const Distribution& d) {
  // Attribute order as Optuna writes it.
  OrderedJson attributes = std::visit(
      Overloaded{[](const FloatDistribution& f) {
                   return OrderedJson{{"step", f.step ? OrderedJson(*f.step) : OrderedJson(nullptr)},
                               {"low", f.low},
                               {"high", f.high},
                               {"log", f.log}};
                 },
                 [](const IntDistribution& i) {
                   return OrderedJson{{"log", i.log}, {"step", i.step}, {"low", i.low}, {"high", i.high}};
                 },
                 [](const CategoricalDistribution& c) {
                   OrderedJson choices = OrderedJson::array();
                   for (const auto& choice : c.choices) choices.push_back(to_ordered(choice));
                   return OrderedJson{{"choices", choices}};
                 }},
      d);
  return dump_json(OrderedJson{{"name", distribution_name(d)}, {"attributes", attributes}});
}

Distribution distribution_from_json_value(const Json& j) {
  if (!j.is_object())
    throw ValueError("distribution JSON is " + dump_json(j) + ", expected an object");
  if (j.contains("name")) {
    if (!j.at("name").is_string())
      throw ValueError("distribution name is " + dump_json(j.at("name")) + ", expected a string");
    return from_long_form(j.at("name").get<std::string>(), require(j, "attributes", "with a name"));
  }
  if (j.contains("type")) return from_short_form(j);
  throw ValueError("distribution JSON " + dump_json(j) +
                   " has neither \"name\" nor \"type\", expected Optuna's distribution_json");
}

Distribution distribution_from_json(std::string_view text) {
  return distribution_from_json_value(parse_json(text));
}

void check_distribution_compatibility(const std::string& param_name, const Distribution& old_d,
                                      const Distribution& new_d) {
  if (old_d.index() != new_d.index())
    throw ValueError("parameter '" + param_name + "' was a " + distribution_name(old_d) +
                     " in this study, cannot suggest it as a " + distribution_name(new_d));
  auto log_of = [](const Distribution& d) {
    if (auto f = std::get_if<FloatDistribution>(&d)) return f->log;
    if (auto i = std::get_if<IntDistribution>(&d)) return i->log;
    return false;
  };
  if (log_of(old_d) != log_of(new_d))
    throw ValueError("parameter '" + param_name + "' had log=" + (log_of(old_d) ? "true" : "false") +
                     " in this study, cannot suggest it with log=" + (log_of(new_d) ? "true" : "false"));
  if (auto c = std::get_if<CategoricalDistribution>(&old_d)) {
    const auto& n = std::get<CategoricalDistribution>(new_d);
    if (!(*c == n))
      throw ValueError("parameter '" + param_name + "' had choices " + dump_json(Json(c->choices)) +
                       " in this study, cannot suggest it with choices " + dump_json(Json(n.choices)));
  }
}

}  // namespace hpo
