#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace hpo::sqlite {

// Prepared statements keyed by their SQL text: each statement is compiled once per
// connection and reused, which matters when a trial costs a handful of small statements.
class StatementCache {
 public:
  explicit StatementCache(SQLite::Database& db) : db_(db) {}

  // The statement for `sql`, reset and with all parameters unbound, ready to bind.
  SQLite::Statement& operator()(const std::string& sql);

 private:
  SQLite::Database& db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

}  // namespace hpo::sqlite
