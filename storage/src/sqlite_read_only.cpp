#include "sqlite_read_only.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <utility>

#include "hpo/error.hpp"

namespace hpo::sqlite {
namespace {

// EACCES for permissions, EROFS for a read-only mount: the effective user's view.
bool writable(const std::string& path) {
  return ::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0 || (errno != EACCES && errno != EROFS);
}

// Bytes 18 and 19 of the header (file format write and read versions) are 2 in WAL mode.
bool header_says_wal(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::array<char, 20> header{};
  file.read(header.data(), header.size());
  return file.gcount() == 20 && header[18] == 2 && header[19] == 2;
}

// A file: URI for `path`: everything but unreserved characters and '/' percent-encoded,
// so that '?', '#' and '%' in a file name are not read as URI syntax.
std::string file_uri(const std::string& path) {
  std::string uri = "file:";
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      uri += escaped;
    }
  }
  return uri;
}

}  // namespace

std::optional<std::string> unwritable_reason(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return std::nullopt;
  if (!writable(path)) return "the file is not writable by this user";
  std::string folder = std::filesystem::path(path).parent_path().string();
  if (folder.empty()) folder = ".";
  // SQLite writes the -wal and -shm (or -journal) files beside the database.
  if (!writable(folder)) return "its folder '" + folder + "' is not writable by this user";
  return std::nullopt;
}

UnchangedFile::UnchangedFile(std::string path) : path_(std::move(path)), opened_(stamp_of(path_)) {}

UnchangedFile::Stamp UnchangedFile::stamp_of(const std::string& path) {
  std::error_code ec;
  Stamp stamp;
  stamp.size = std::filesystem::file_size(path, ec);
  stamp.modified = std::filesystem::last_write_time(path, ec);
  return stamp;
}

void UnchangedFile::check() const {
  std::error_code ec;
  if (std::filesystem::exists(path_ + "-wal", ec) || !(stamp_of(path_) == opened_)) {
    throw StorageError("cannot read '" + path_ +
                       "' consistently: it is open read-only without locks (this user cannot create its -wal "
                       "and -shm files), and a writer has opened it since; open it again once the writer is done");
  }
}

ReadOnlyDatabase open_read_only(const std::string& path, int busy_timeout_ms) {
  const bool immutable = header_says_wal(path) && !std::filesystem::exists(path + "-wal");
  std::optional<UnchangedFile> unchanged;
  if (immutable) unchanged.emplace(path);  // before the first read
  return ReadOnlyDatabase{SQLite::Database(file_uri(path) + (immutable ? "?immutable=1" : ""),
                                           SQLite::OPEN_READONLY | SQLite::OPEN_URI, busy_timeout_ms),
                          std::move(unchanged)};
}

}  // namespace hpo::sqlite
