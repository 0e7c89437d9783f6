#include "data/idx_dataset.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "data/file_contents.hpp"
#include "data/targets.hpp"
#include "hpo/error.hpp"

namespace hpo::cli {

namespace {

// An IDX file of unsigned bytes: its dimensions and its values.
struct IdxArray {
  std::vector<std::size_t> shape;
  std::string bytes;  // the values, row-major
};

constexpr unsigned char kUnsignedByteType = 0x08;

std::size_t read_big_endian_u32(const std::string& bytes, std::size_t offset) {
  std::size_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  }
  return value;
}

IdxArray read_idx_array(const std::filesystem::path& path, std::size_t expected_dimensions) {
  std::string bytes = read_file_contents(path);
  const auto fail = [&](const std::string& what) -> void {
    throw ValueError("'" + path.string() + "' is not an IDX file of unsigned bytes with " +
                     std::to_string(expected_dimensions) + " dimension(s): " + what);
  };
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0) fail("bad magic number");
  if (static_cast<unsigned char>(bytes[2]) != kUnsignedByteType) fail("the values are not bytes");
  if (static_cast<std::size_t>(bytes[3]) != expected_dimensions) {
    fail("it has " + std::to_string(static_cast<int>(bytes[3])) + " dimension(s)");
  }
  const std::size_t header_size = 4 + 4 * expected_dimensions;
  if (bytes.size() < header_size) fail("the header is cut short");
  IdxArray array;
  std::size_t n_values = 1;
  for (std::size_t d = 0; d < expected_dimensions; ++d) {
    array.shape.push_back(read_big_endian_u32(bytes, 4 + 4 * d));
    n_values *= array.shape.back();
  }
  if (bytes.size() != header_size + n_values) {
    fail("the header promises " + std::to_string(n_values) + " values, the file holds " +
         std::to_string(bytes.size() - header_size));
  }
  bytes.erase(0, header_size);
  array.bytes = std::move(bytes);
  return array;
}

// `folder`/`stem`, or `folder`/`stem`.gz when only that one exists.
std::filesystem::path find_idx_file(const std::filesystem::path& folder, const std::string& stem) {
  const std::filesystem::path plain = folder / stem;
  const std::filesystem::path compressed = folder / (stem + ".gz");
  if (!std::filesystem::exists(plain) && std::filesystem::exists(compressed)) return compressed;
  if (!std::filesystem::exists(plain)) {
    throw ValueError("'" + folder.string() + "' has no IDX file '" + stem + "' (nor '" + stem +
                     ".gz'); expected train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                     "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte");
  }
  return plain;
}

// Appends the images and labels of one part ("train" or "t10k") to `data`.
void append_part(const std::filesystem::path& folder, const std::string& part, Dataset& data,
                 std::vector<std::string>& label_texts) {
  const std::filesystem::path images_path = find_idx_file(folder, part + "-images-idx3-ubyte");
  const std::filesystem::path labels_path = find_idx_file(folder, part + "-labels-idx1-ubyte");
  const IdxArray images = read_idx_array(images_path, 3);
  const IdxArray labels = read_idx_array(labels_path, 1);
  if (images.shape[0] != labels.shape[0]) {
    throw ValueError("'" + images_path.string() + "' holds " + std::to_string(images.shape[0]) +
                     " images but '" + labels_path.string() + "' holds " +
                     std::to_string(labels.shape[0]) + " labels");
  }
  const std::size_t n_pixels = images.shape[1] * images.shape[2];
  if (data.feature_names.empty()) {
    for (std::size_t p = 0; p < n_pixels; ++p) data.feature_names.push_back("pixel_" + std::to_string(p));
  } else if (data.n_features() != n_pixels) {
    throw ValueError("'" + images_path.string() + "' holds images of " + std::to_string(n_pixels) +
                     " pixels, the training images have " + std::to_string(data.n_features()));
  }
  data.features.reserve(data.features.size() + images.bytes.size());
  for (char pixel : images.bytes) data.features.push_back(static_cast<unsigned char>(pixel));
  for (char label : labels.bytes) {
    label_texts.push_back(std::to_string(static_cast<unsigned char>(label)));
  }
}

}  // namespace

Dataset read_idx_dataset(const std::filesystem::path& folder) {
  Dataset data;
  data.target_name = "label";
  std::vector<std::string> label_texts;
  append_part(folder, "train", data, label_texts);
  append_part(folder, "t10k", data, label_texts);
  assign_targets(data, label_texts);
  return data;
}

}  // namespace hpo::cli
