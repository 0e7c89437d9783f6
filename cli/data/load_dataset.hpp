#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "data/dataset.hpp"

namespace hpo::cli {

// A folder is read as IDX files (read_idx_dataset), a file as CSV (read_csv_dataset,
// where `target_column` applies). Throws hpo::ValueError when `path` does not exist or
// a target column is named for IDX files.
Dataset load_dataset(const std::filesystem::path& path,
                     const std::optional<std::string>& target_column);

}  // namespace hpo::cli
