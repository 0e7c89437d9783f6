#include "sqlite_statement_cache.hpp"

namespace hpo::sqlite {

SQLite::Statement& StatementCache::operator()(const std::string& sql) {
  std::unique_ptr<SQLite::Statement>& statement = statements_[sql];
  if (!statement) {
    statement = std::make_unique<SQLite::Statement>(db_, sql);
  } else {
    // A statement left mid-iteration (an exception, an early break) still holds a read
    // lock until it is reset.
    statement->reset();
    statement->clearBindings();
  }
  return *statement;
}

}  // namespace hpo::sqlite
