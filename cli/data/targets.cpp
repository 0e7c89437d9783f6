#include "data/targets.hpp"

#include <charconv>
#include <cmath>
#include <map>

namespace hpo::cli {

std::optional<double> parse_finite_number(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

namespace {

// Class names ordered by `key`, each named by its first spelling in the data.
template <typename Key>
void assign_classes(Dataset& data, const std::vector<Key>& keys,
                    const std::vector<std::string>& target_texts) {
  std::map<Key, std::string> first_spelling;
  for (std::size_t i = 0; i < keys.size(); ++i) first_spelling.emplace(keys[i], target_texts[i]);
  std::map<Key, int> index_of;
  data.class_names.clear();
  for (const auto& [key, name] : first_spelling) {
    index_of.emplace(key, static_cast<int>(data.class_names.size()));
    data.class_names.push_back(name);
  }
  data.labels.clear();
  data.labels.reserve(keys.size());
  for (const Key& key : keys) data.labels.push_back(index_of.at(key));
}

}  // namespace

void assign_targets(Dataset& data, const std::vector<std::string>& target_texts) {
  std::vector<double> numbers;
  numbers.reserve(target_texts.size());
  for (const std::string& text : target_texts) {
    const std::optional<double> number = parse_finite_number(text);
    if (!number) break;
    numbers.push_back(*number);
  }
  if (numbers.size() == target_texts.size()) {
    assign_classes(data, numbers, target_texts);
    data.targets = std::move(numbers);
  } else {
    assign_classes(data, target_texts, target_texts);
    data.targets.clear();
  }
}

}  // namespace hpo::cli
