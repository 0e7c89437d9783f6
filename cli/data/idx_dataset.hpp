#pragma once

#include <filesystem>

#include "data/dataset.hpp"

namespace hpo::cli {

// Reads a folder holding MNIST-style IDX files, gzip-compressed or not:
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte (each optionally ending in .gz), as Debian's
// dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist. The training
// rows come first, then the t10k rows; features are the pixels (pixel_0, pixel_1, ...)
// and the target is the label. Throws hpo::ValueError naming the file and the problem.
Dataset read_idx_dataset(const std::filesystem::path& folder);

}  // namespace hpo::cli
