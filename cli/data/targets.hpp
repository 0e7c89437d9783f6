#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.hpp"

namespace hpo::cli {

// `text` without surrounding blanks as a finite number; nullopt when it is anything else.
std::optional<double> parse_finite_number(std::string_view text);

// Fills data.labels, data.class_names and data.targets from one target text per row.
void assign_targets(Dataset& data, const std::vector<std::string>& target_texts);

}  // namespace hpo::cli
