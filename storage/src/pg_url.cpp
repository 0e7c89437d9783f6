#include "pg_url.hpp"

#include <libpq-fe.h>

#include "hpo/error.hpp"

namespace hpo::pg {
namespace {

const std::string kScheme = "postgresql://";
const std::string kPsycopg2Scheme = "postgresql+psycopg2://";

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Hides the password of user:password@ and of a password=... query parameter.
std::string redact(const std::string& url) {
  std::string out = url;
  const std::size_t authority = out.find("://");
  if (authority != std::string::npos) {
    const std::size_t begin = authority + 3;
    const std::size_t end = out.find_first_of("/?", begin);
    const std::size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= begin) {
      const std::size_t colon = out.find(':', begin);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (std::size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const std::size_t value = p + 9;
    const std::size_t end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

}  // namespace

bool is_postgres_url(const std::string& url) {
  return starts_with(url, kScheme) || starts_with(url, kPsycopg2Scheme);
}

ConnectionTarget parse_postgres_url(const std::string& url) {
  ConnectionTarget target;
  target.display = "'" + redact(url) + "'";
  target.conninfo = starts_with(url, kPsycopg2Scheme) ? kScheme + url.substr(kPsycopg2Scheme.size()) : url;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(target.conninfo.c_str(), &error);
  if (!options) {
    std::string reason = error ? error : "out of memory";
    PQfreemem(error);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    throw ValueError("cannot read the PostgreSQL URL " + target.display + ": " + reason +
                     "; expected postgresql://user:password@host:port/dbname");
  }
  PQconninfoFree(options);
  return target;
}

}  // namespace hpo::pg
