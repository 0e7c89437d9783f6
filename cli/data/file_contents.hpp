#pragma once

#include <filesystem>
#include <string>

namespace hpo::cli {

// The bytes of a file, decompressed when it is gzip-compressed. Throws hpo::ValueError
// naming the file when it is missing, a folder, unreadable or a broken gzip stream.
std::string read_file_contents(const std::filesystem::path& path);

}  // namespace hpo::cli
