#include "sqlite_statement_cache.hpp"

namespace hpo::sqlite {

SQLite::Statement& StatementCache::operator()(const std::string& sql) {
  std::unique_ptr<SQLite::Statement>& statement = statements_[sql];
  if (!statement) {
    statement = std::make_unique<SQLite::Statement>(db_, sql);
  } else {
    statement->tryReset();  // its last error, if any, was already reported
    statement->clearBindings();
  }
  in_use_.push_back(statement.get());
  return *statement;
}

void StatementCache::reset_all_in_use() noexcept {
  for (SQLite::Statement* statement : in_use_) statement->tryReset();
  in_use_.clear();
}

}  // namespace hpo::sqlite
