#include "report/param_layout.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

namespace hpo::cli {

namespace {

struct ElementName {
  std::string base;
  long index;
};

// "feature_l2[12]" → {"feature_l2", 12}.
std::optional<ElementName> parse_element_name(const std::string& name) {
  const std::size_t open = name.rfind('[');
  if (open == std::string::npos || open == 0 || name.back() != ']' || open + 2 >= name.size()) return std::nullopt;
  const std::string digits = name.substr(open + 1, name.size() - open - 2);
  if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return ElementName{name.substr(0, open), std::stol(digits)};
}

}  // namespace

std::vector<std::string> ParamLayout::all_names() const {
  std::vector<std::string> names;
  for (const auto& [name, distribution] : distributions) names.push_back(name);
  return names;
}

ParamLayout param_layout(const std::vector<FrozenTrial>& trials) {
  ParamLayout layout;
  for (auto trial = trials.rbegin(); trial != trials.rend(); ++trial) {
    for (const auto& [name, distribution] : trial->distributions) layout.distributions.try_emplace(name, distribution);
  }
  std::map<std::string, std::vector<std::pair<long, std::string>>> groups;
  for (const auto& [name, distribution] : layout.distributions) {
    if (const auto element = parse_element_name(name)) groups[element->base].push_back({element->index, name});
  }
  for (auto& [base, elements] : groups) {
    if (elements.size() < 2 || layout.distributions.count(base)) continue;
    std::sort(elements.begin(), elements.end());
    VectorParam vector{base, {}};
    for (const auto& [index, name] : elements) {
      vector.elements.push_back(name);
      layout.vector_of[name] = base;
    }
    layout.vectors.push_back(std::move(vector));
  }
  for (const auto& [name, distribution] : layout.distributions) {
    if (!layout.vector_of.count(name)) layout.scalars.push_back(name);
  }
  return layout;
}

Scale param_scale(const Distribution& distribution) {
  if (const auto* f = std::get_if<FloatDistribution>(&distribution)) {
    return f->log ? Scale::logarithmic(f->low, f->high) : Scale::linear(f->low, f->high);
  }
  if (const auto* i = std::get_if<IntDistribution>(&distribution)) {
    const double low = static_cast<double>(i->low), high = static_cast<double>(i->high);
    return i->log ? Scale::logarithmic(low, high) : Scale::linear(low, high);
  }
  std::vector<std::string> labels;
  for (const Json& choice : std::get<CategoricalDistribution>(distribution).choices) {
    labels.push_back(choice.is_string() ? choice.get<std::string>() : choice.dump());
  }
  return Scale::categories(std::move(labels));
}

double param_position(const FrozenTrial& trial, const std::string& name) {
  const auto value = trial.params.find(name);
  const auto distribution = trial.distributions.find(name);
  if (value == trial.params.end() || distribution == trial.distributions.end()) return NAN;
  try {
    return to_internal(distribution->second, value->second);
  } catch (const std::exception&) {
    return NAN;
  }
}

}  // namespace hpo::cli
