#include "hpo/storage/open_storage.hpp"

#include "hpo/error.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/storage/postgres_storage.hpp"
#include "pg_url.hpp"

namespace hpo {

std::shared_ptr<Storage> open_storage(const std::string& url) {
  return open_storage(url, SqliteStorageOptions());
}

std::shared_ptr<Storage> open_storage(const std::string& url,
                                      const SqliteStorageOptions& sqlite_options) {
  if (url.empty()) return std::make_shared<InMemoryStorage>();
  // SQLAlchemy's form: three slashes, then the path, so "sqlite:////abs" is "/abs".
  static const std::string kSqlite = "sqlite:///";
  if (url.compare(0, kSqlite.size(), kSqlite) == 0 && url.size() > kSqlite.size()) {
    return std::make_shared<SqliteStorage>(url.substr(kSqlite.size()), sqlite_options);
  }
  if (pg::is_postgres_url(url)) {
    // The options both databases share; the busy timeout is the same promise (how long a
    // call may wait on others or on the server before it fails).
    return std::make_shared<PostgresStorage>(url, PostgresStorageOptions()
                                                      .schema(sqlite_options.schema())
                                                      .retry_timeout(sqlite_options.busy_timeout())
                                                      .heartbeat_interval(sqlite_options.heartbeat_interval())
                                                      .grace_period(sqlite_options.grace_period())
                                                      .failed_trial_callback(sqlite_options.failed_trial_callback()));
  }
  throw ValueError("unsupported storage URL '" + url +
                   "'; expected sqlite:///relative/path.db, sqlite:////absolute/path.db, "
                   "postgresql://user:password@host:port/dbname, or nothing for an in-memory storage");
}

}  // namespace hpo
