#pragma once

// Reading a study database that this process may not write: a file without write
// permission, in a folder without write permission, or on a read-only file system.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <SQLiteCpp/Database.h>

namespace hpo::sqlite {

// Why an existing, non-empty database at `path` cannot be written by this process (e.g.
// "the file is not writable by this user"), or nullopt when it can or does not exist yet.
// Judged with the effective user's permissions, so root never gets a reason.
std::optional<std::string> unwritable_reason(const std::string& path);

// An immutable connection takes no locks, so it cannot tell when a writer changes the
// file under it: a checkpoint copying pages from the -wal file mid-read would hand it a
// mix of old and new pages. It is therefore only valid while the file stays as it was
// when opened, without a writer: check() throws hpo::StorageError (saying so) once a
// -wal file exists or the file's size or modification time changed.
class UnchangedFile {
 public:
  explicit UnchangedFile(std::string path);
  void check() const;

 private:
  struct Stamp {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type modified;
    bool operator==(const Stamp& other) const { return size == other.size && modified == other.modified; }
  };
  static Stamp stamp_of(const std::string& path);

  std::string path_;
  Stamp opened_;
};

struct ReadOnlyDatabase {
  SQLite::Database db;
  // Set when `db` is immutable; reads must be bracketed by its check().
  std::optional<UnchangedFile> immutable;
};

// A read-only connection that leaves nothing behind. A plain read-only connection to a
// WAL database creates the -wal and -shm files when they are missing, owned by this user,
// so that the file's owner may no longer be able to write; or fails outright when the
// folder is not writable. When there is no -wal file, no writer is connected and every
// committed transaction is in the database file itself, so it is opened as immutable (no
// side files, no locks), valid until a writer appears (UnchangedFile). With a -wal file,
// the connection reads through SQLite's WAL locks: each read sees a consistent snapshot.
ReadOnlyDatabase open_read_only(const std::string& path, int busy_timeout_ms);

}  // namespace hpo::sqlite
