// libFuzzer target: the CSV loader of `hpo optimize --data` (cli/data), through its real
// entry point, a file (so gzip-compressed inputs are decoded too), then the split that
// optimize applies next. Any input must either load or throw hpo::ValueError; whatever
// loads must be a well-formed table. The first byte picks the target: odd means
// `--target y`, even the default last column.
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "data/csv_dataset.hpp"
#include "data/split.hpp"
#include "hpo/error.hpp"

namespace {

// The loader reads a path; an in-memory file keeps each input off the disk (rewriting a
// real file made this target wait on I/O, 40x slower than the JSON one).
struct ScratchFile {
  int fd;
  std::filesystem::path path;
};

const ScratchFile& scratch_file() {
  static const ScratchFile file = [] {
    const int fd = ::memfd_create("hpo-fuzz-csv", 0);
    if (fd < 0) std::abort();
    return ScratchFile{fd, "/proc/self/fd/" + std::to_string(fd)};
  }();
  return file;
}

void write_scratch_file(const std::uint8_t* data, std::size_t size) {
  const int fd = scratch_file().fd;
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) std::abort();
}

void check_well_formed(const hpo::cli::Dataset& data) {
  const std::size_t rows = data.n_rows();
  if (rows == 0 || data.n_features() == 0 || data.features.size() != rows * data.n_features()) std::abort();
  if (data.class_names.empty() || (data.has_numeric_targets() && data.targets.size() != rows)) std::abort();
  for (int label : data.labels)
    if (label < 0 || label >= data.n_classes()) std::abort();
  for (float feature : data.features)
    if (!std::isfinite(feature)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::optional<std::string> target =
      (data[0] & 1) ? std::optional<std::string>("y") : std::nullopt;
  write_scratch_file(data + 1, size - 1);
  hpo::cli::Dataset dataset;
  try {
    dataset = hpo::cli::read_csv_dataset(scratch_file().path, target);
  } catch (const hpo::ValueError&) {
    return 0;
  }
  check_well_formed(dataset);
  try {
    hpo::cli::DataSplit split = hpo::cli::split_dataset(dataset, hpo::cli::SplitOptions());
    if (split.train.n_rows() + split.valid.n_rows() != dataset.n_rows()) std::abort();
    hpo::cli::standardize_features(split);
    check_well_formed(split.train);
    check_well_formed(split.valid);
  } catch (const hpo::ValueError&) {
  }
  return 0;
}
