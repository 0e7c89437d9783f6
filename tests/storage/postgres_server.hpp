#pragma once

#include <string>

namespace hpo::test {

// The throwaway PostgreSQL server of this test program (scripts/throwaway_postgres.sh):
// started on first use in a folder under /tmp on a free loopback port, stopped and
// deleted when the program exits.
class PostgresServer {
 public:
  static PostgresServer& instance();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The superuser's URL for `database` (libpq's form, postgresql://hpo:...@127.0.0.1:port/db).
  std::string url(const std::string& database = "postgres") const;
  // A new, empty database; returns its URL.
  std::string new_database();
  // Runs SQL through psql on `database`; returns what psql prints (unaligned, no headers).
  std::string psql(const std::string& database, const std::string& sql) const;
  std::string dump_schema(const std::string& database) const;
  void restart();
  const std::string& folder() const { return folder_; }
  int port() const { return port_; }

 private:
  PostgresServer();
  std::string folder_;
  int port_ = 0;
  int databases_ = 0;
};

// Runs a shell command; returns its standard output, throwing when it fails.
std::string run_command(const std::string& command);

}  // namespace hpo::test
