#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

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

  // Resets every statement handed out since the last call. A statement that stopped
  // on a row keeps its read snapshot open, even past COMMIT, and the connection would
  // then never see other processes' writes; so each transaction ends with this.
  void reset_all_in_use() noexcept;

 private:
  SQLite::Database& db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
  std::vector<SQLite::Statement*> in_use_;
};

}  // namespace hpo::sqlite
