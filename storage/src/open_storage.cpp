#include "hpo/storage/open_storage.hpp"

#include "hpo/error.hpp"
#include "hpo/storage/in_memory_storage.hpp"

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
  throw ValueError("unsupported storage URL '" + url +
                   "'; expected sqlite:///relative/path.db, sqlite:////absolute/path.db, or "
                   "nothing for an in-memory storage");
}

}  // namespace hpo
