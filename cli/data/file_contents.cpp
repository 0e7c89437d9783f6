#include "data/file_contents.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "hpo/error.hpp"

namespace hpo::cli {

std::string read_file_contents(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code status_error;
  if (std::filesystem::is_directory(path, status_error)) {
    throw ValueError("'" + name + "' is a folder, expected a file");
  }
  // gzread passes files that are not gzip-compressed through unchanged.
  errno = 0;
  const std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(name.c_str(), "rb"), &gzclose);
  if (!file) {
    throw ValueError("cannot open '" + name + "': " +
                     (errno != 0 ? std::strerror(errno) : "out of memory"));
  }
  std::string contents;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file.get(), buffer, sizeof buffer)) > 0) {
    contents.append(buffer, static_cast<std::size_t>(n));
  }
  // A truncated gzip stream ends the reads without -1 but leaves Z_BUF_ERROR behind.
  int code = Z_OK;
  const char* message = gzerror(file.get(), &code);
  if (n < 0 || code != Z_OK) {
    throw ValueError("cannot read '" + name + "': " + (code == Z_ERRNO ? std::strerror(errno) : message));
  }
  return contents;
}

}  // namespace hpo::cli
