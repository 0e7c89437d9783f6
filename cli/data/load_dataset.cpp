#include "data/load_dataset.hpp"

#include "data/csv_dataset.hpp"
#include "data/idx_dataset.hpp"
#include "hpo/error.hpp"

namespace hpo::cli {

Dataset load_dataset(const std::filesystem::path& path,
                     const std::optional<std::string>& target_column) {
  if (!std::filesystem::exists(path)) {
    throw ValueError("data path '" + path.string() + "' does not exist");
  }
  if (!std::filesystem::is_directory(path)) return read_csv_dataset(path, target_column);
  if (target_column) {
    throw ValueError("--target names a CSV column, but '" + path.string() +
                     "' is a folder of IDX files (their target is the label)");
  }
  return read_idx_dataset(path);
}

}  // namespace hpo::cli
