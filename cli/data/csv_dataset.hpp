#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "data/dataset.hpp"

namespace hpo::cli {

// Reads a CSV file (gzip-compressed or not) whose first line names the columns. The column
// `target_column` (the last column when not given) is the target; every other column must
// hold a finite number on every line. Throws hpo::ValueError naming the file, line and
// column of the first problem.
Dataset read_csv_dataset(const std::filesystem::path& path,
                         const std::optional<std::string>& target_column = std::nullopt);

}  // namespace hpo::cli
