#pragma once

#include "hpo/storage/sqlite_storage.hpp"  // OptunaSchema
#include "pg_connection.hpp"

namespace hpo::pg {

// Checks the connected database and returns its revision; creates Optuna's schema at
// `for_new` when the database has no tables. Refuses (hpo::StorageError, nothing
// written) tables that are not Optuna's and revisions other than v3.0.0.d / v3.2.0.a.
// Safe when several workers open a new database at once: they wait on one lock, the
// first creates the schema, the others find it.
OptunaSchema open_schema(Connection& connection, OptunaSchema for_new);

}  // namespace hpo::pg
