#pragma once

// Reading a study database that this process may not write: a file without write
// permission, in a folder without write permission, or on a read-only file system.

#include <optional>
#include <string>

#include <SQLiteCpp/Database.h>

namespace hpo::sqlite {

// Why an existing, non-empty database at `path` cannot be written by this process (e.g.
// "the file is not writable by this user"), or nullopt when it can or does not exist yet.
// Judged with the effective user's permissions, so root never gets a reason.
std::optional<std::string> unwritable_reason(const std::string& path);

// A read-only connection that leaves nothing behind. A plain read-only connection to a
// WAL database creates the -wal and -shm files when they are missing, owned by this user,
// so that the file's owner may no longer be able to write; or fails outright when the
// folder is not writable. When there is no -wal file, every committed transaction is in
// the database file itself, so it is opened as immutable (no side files, no locks).
SQLite::Database open_read_only(const std::string& path, int busy_timeout_ms);

}  // namespace hpo::sqlite
