#pragma once

#include <optional>
#include <string>

#include <SQLiteCpp/Database.h>

#include "hpo/storage/sqlite_storage.hpp"

namespace hpo::sqlite {

// alembic_version.version_num of a revision ("v3.0.0.d", "v3.2.0.a").
const char* alembic_revision(OptunaSchema schema);

// Throws hpo::StorageError when `path` exists, is not empty and does not start with
// SQLite's file header. Reads only the first bytes, so a refused file stays untouched.
void check_sqlite_file_header(const std::string& path);

// The Optuna revision of the database open in `db`, or nullopt when it has no tables at
// all. Throws hpo::StorageError naming `path` for tables that are not Optuna's or an
// alembic revision this library does not write. Only reads.
std::optional<OptunaSchema> inspect_schema(SQLite::Database& db, const std::string& path);

// Creates Optuna's tables, indexes, version_info row and alembic_version row in an empty
// database, with the DDL text SQLAlchemy emits for Optuna's models (so that
// `sqlite3 file .schema` is identical). Runs inside the caller's transaction.
void create_schema(SQLite::Database& db, OptunaSchema schema);

}  // namespace hpo::sqlite
