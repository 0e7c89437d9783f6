#include "pg_connection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <utility>

namespace hpo::pg {
namespace {

// libpq's messages span lines ("connection to server ... failed: ...\n\tIs the server
// running ...?"); the CLI prints errors as one line.
std::string one_line(const char* message) {
  std::string out;
  bool space = false;
  for (const char* p = message ? message : ""; *p; ++p) {
    if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += *p;
  }
  return out;
}

// Server-side codes that mean the session is over: admin_shutdown, crash_shutdown,
// cannot_connect_now (starting up or shutting down), and the connection_exception class.
bool ends_session(const std::string& sqlstate) {
  return sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
         sqlstate.compare(0, 2, "08") == 0;
}

void ignore_notice(void*, const char*) {}

}  // namespace

Param param(std::int64_t value) { return std::to_string(value); }

Param param(double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return std::string(text, end);
}

Param param(const std::string& value) { return value; }
Param param(const char* value) { return std::string(value); }
Param null_param() { return std::nullopt; }

Result::Result(pg_result* result) : result_(result, PQclear) {}

int Result::rows() const { return PQntuples(result_.get()); }

bool Result::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::string Result::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Result::int64(int row, int column) const {
  return std::strtoll(PQgetvalue(result_.get(), row, column), nullptr, 10);
}

double Result::real(int row, int column) const {
  const char* text = PQgetvalue(result_.get(), row, column);
  const char* end = text + PQgetlength(result_.get(), row, column);
  double value = 0;
  if (std::from_chars(text, end, value).ec != std::errc()) {
    throw StorageError("cannot read the stored number '" + std::string(text, end) + "'");
  }
  return value;
}

std::optional<double> Result::nullable_real(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return real(row, column);
}

Failure::Failure(const std::string& message, std::string sqlstate, bool connection_lost)
    : StorageError(message), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}

Connection::Connection(std::string conninfo, std::string display)
    : conninfo_(std::move(conninfo)), display_(std::move(display)) {
  connect();
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

void Connection::connect() {
  // Defaults first: the URL's own settings come later in the list and win. Without a
  // connect timeout an unreachable host would hang for the TCP timeout (minutes).
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", "hpo", conninfo_.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string reason = one_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw Failure("cannot connect to the PostgreSQL database " + display_ + ": " + reason, "", true);
  }
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  // Datetimes are exchanged as text in SQLAlchemy's form, and text as UTF-8 whatever
  // the client's locale.
  exec("SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'");
}

void Connection::reconnect() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();  // prepared statements belong to the session
  connect();
}

namespace {

// Turns a failed result into a Failure (or returns the result).
Result checked(pg_conn* conn, PGresult* raw, const std::string& display) {
  Result result(raw);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const char* code = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = code ? code : "";
  const bool lost = PQstatus(conn) != CONNECTION_OK || ends_session(sqlstate);
  throw Failure("PostgreSQL error on " + display + ": " +
                    one_line(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn)),
                sqlstate, lost);
}

}  // namespace

const std::string& Connection::prepared(const std::string& sql) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return it->second;
  const std::string name = "hpo_" + std::to_string(prepared_.size());
  checked(conn_, PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), display_);
  return prepared_.emplace(sql, name).first->second;
}

Result Connection::exec(const std::string& sql, const std::vector<Param>& params) {
  if (!conn_) connect();
  if (params.empty() && sql.find(';') != std::string::npos) {  // several statements
    return checked(conn_, PQexec(conn_, sql.c_str()), display_);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string& name = prepared(sql);
  return checked(conn_,
                 PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(), nullptr,
                                nullptr, 0),
                 display_);
}

}  // namespace hpo::pg
