#pragma once

// A thin RAII layer over libpq: one connection, statements with text parameters, results
// read by row and column, and errors classified for the storage's retry loop.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hpo/error.hpp"

struct pg_conn;
struct pg_result;

namespace hpo::pg {

// A statement parameter in PostgreSQL's text form; nullopt is SQL NULL.
using Param = std::optional<std::string>;
Param param(std::int64_t value);
Param param(double value);  // finite; the shortest text that reads back to the same double
Param param(const std::string& value);
Param param(const char* value);
Param null_param();

// One statement's rows. Values arrive as text; the accessors convert them.
class Result {
 public:
  explicit Result(pg_result* result);
  int rows() const;
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  double real(int row, int column) const;
  std::optional<double> nullable_real(int row, int column) const;

 private:
  std::shared_ptr<pg_result> result_;
};

// A statement or connection failure. `sqlstate` is PostgreSQL's error code ("" when the
// connection failed before the server said anything).
class Failure : public StorageError {
 public:
  Failure(const std::string& message, std::string sqlstate, bool connection_lost);
  const std::string& sqlstate() const { return sqlstate_; }
  // The session is gone (network, server restart or shutdown): reconnect, then retry.
  bool connection_lost() const { return connection_lost_; }
  // A conflict with a concurrent transaction that a repetition may not meet again:
  // serialization failure (40001) or deadlock (40P01).
  bool transient_conflict() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }
  bool unique_violation() const { return sqlstate_ == "23505"; }

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

class Connection {
 public:
  // Connects at once; a refusal (unreachable server, wrong password, missing database)
  // throws Failure with libpq's reason on one line, prefixed by `display` (the URL with
  // its password hidden).
  Connection(std::string conninfo, std::string display);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Result exec(const std::string& sql, const std::vector<Param>& params = {});
  // Drops the session and opens a new one; throws Failure when the server is still away.
  void reconnect();
  const std::string& display() const { return display_; }

 private:
  void connect();
  // The name of `sql` as a statement prepared on this session (preparing it the first
  // time): the server parses and plans each statement once per session, not per call.
  const std::string& prepared(const std::string& sql);

  std::string conninfo_;
  std::string display_;
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;
};

}  // namespace hpo::pg
