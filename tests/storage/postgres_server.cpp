#include "postgres_server.hpp"

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>

namespace hpo::test {
namespace {

const std::string kScript = std::string(HPO_SOURCE_DIR) + "/scripts/throwaway_postgres.sh";
const std::string kBin = "/usr/lib/postgresql/15/bin/";

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string run_command(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  const int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command + "\n" + out);
  }
  return out;
}

PostgresServer& PostgresServer::instance() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer() {
  char pattern[] = "/tmp/hpo-postgres-XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("cannot create a folder for the PostgreSQL server");
  folder_ = pattern;
  // Durability is not under test: without fsync a test's many small commits and CREATE
  // DATABASEs do not wait for the disk of this shared machine.
  const std::string url = run_command("HPO_PG_SETTINGS='-c fsync=off -c synchronous_commit=off "
                                      "-c full_page_writes=off' " + kScript + " start " + folder_);
  const std::size_t colon = url.rfind(':');
  port_ = std::stoi(url.substr(colon + 1));
}

PostgresServer::~PostgresServer() {
  try {
    run_command(kScript + " stop " + folder_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
  }
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://hpo:hpo-test@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::new_database() {
  const std::string name = "test_" + std::to_string(++databases_);
  psql("postgres", "CREATE DATABASE " + name);
  return url(name);
}

std::string PostgresServer::psql(const std::string& database, const std::string& sql) const {
  return run_command(kBin + "psql -X -q -A -t -v ON_ERROR_STOP=1 " + quoted(url(database)) + " -c " + quoted(sql) +
                     " 2>&1");
}

std::string PostgresServer::dump_schema(const std::string& database) const {
  return run_command(kBin + "pg_dump --schema-only " + quoted(url(database)));
}

void PostgresServer::restart() { run_command(kScript + " restart " + folder_); }

}  // namespace hpo::test
