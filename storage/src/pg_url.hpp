#pragma once

#include <string>

namespace hpo::pg {

// A storage URL as Optuna users write it for SQLAlchemy, turned into what libpq reads.
struct ConnectionTarget {
  std::string conninfo;  // a libpq connection URI
  std::string display;   // the URL with its password replaced by ***, for messages
};

// postgresql://... or postgresql+psycopg2://...
bool is_postgres_url(const std::string& url);

// Drops SQLAlchemy's "+psycopg2" driver suffix (libpq reads the rest: user, password,
// host or a unix socket folder, port, database, ?sslmode=..., ?host=/run/postgresql).
// Throws hpo::ValueError, naming the URL without its password, for a URL libpq cannot
// parse (an unknown query parameter, say).
ConnectionTarget parse_postgres_url(const std::string& url);

}  // namespace hpo::pg
