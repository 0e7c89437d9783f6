#pragma once

#include <memory>
#include <string>

#include "hpo/storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"

namespace hpo {

// "" → a new InMemoryStorage; "sqlite:///relative/path.db" or "sqlite:////absolute/path.db"
// → a SqliteStorage on that file (created if missing); "postgresql://user:password@host:port/db"
// or "postgresql+psycopg2://..." → a PostgresStorage on that database. Any other URL
// throws hpo::ValueError naming it.
std::shared_ptr<Storage> open_storage(const std::string& url = "");
// The same, with the options (schema revision for a new database, heartbeats...) that a
// sqlite URL's storage gets; a postgresql URL's storage gets those it shares (schema,
// heartbeats, and busy_timeout as its retry timeout); ignored for "".
std::shared_ptr<Storage> open_storage(const std::string& url,
                                      const SqliteStorageOptions& sqlite_options);

}  // namespace hpo
