#include "pg_schema.hpp"

#include <initializer_list>
#include <set>

#include "sqlite_schema.hpp"  // alembic_revision

namespace hpo::pg {
namespace {

// Optuna's SCHEMA_VERSION constant, stored in version_info.schema_version since 2.x.
constexpr int kOptunaSchemaVersion = 12;

// Serializes schema creation between hpo processes (any constant; "hpo" in ASCII).
constexpr const char* kSchemaLock = "SELECT pg_advisory_xact_lock(6844527)";

const char* const kTables[] = {
    "studies",          "version_info",          "study_directions",
    "study_user_attributes", "study_system_attributes", "trials",
    "trial_user_attributes", "trial_system_attributes", "trial_params",
    "trial_values",     "trial_intermediate_values", "trial_heartbeats",
    "alembic_version"};

std::string create_table(const std::string& name, std::initializer_list<std::string> lines) {
  std::string sql = "CREATE TABLE " + name + " (";
  const char* separator = "\n\t";
  for (const std::string& line : lines) {
    sql += separator + line;
    separator = ", \n\t";
  }
  return sql + "\n)";
}

std::string attribute_table(const std::string& owner, const std::string& kind) {
  const std::string owner_table = owner == "study" ? "studies" : "trials";
  return create_table(owner + "_" + kind + "_attributes",
                      {owner + "_" + kind + "_attribute_id SERIAL NOT NULL", owner + "_id INTEGER",
                       "key VARCHAR(512)", "value_json TEXT",
                       "PRIMARY KEY (" + owner + "_" + kind + "_attribute_id)",
                       "UNIQUE (" + owner + "_id, key)",
                       "FOREIGN KEY(" + owner + "_id) REFERENCES " + owner_table + " (" + owner + "_id)"});
}

// What SQLAlchemy's create_all emits on PostgreSQL for Optuna's models: Python enums
// become native enum types (named after the class, values in definition order), Integer
// primary keys SERIAL, Float(precision=53) double precision, DateTime timestamp without
// time zone; unnamed constraints get PostgreSQL's default names (<table>_pkey,
// <table>_<columns>_key, <table>_<column>_fkey), as in a database Optuna created.
std::vector<std::string> schema_statements(OptunaSchema schema) {
  const std::string trial_fk = "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)";
  std::vector<std::string> sql = {
      "CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE')",
      "CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')",
      "CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG')",
      "CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN')",
      create_table("studies", {"study_id SERIAL NOT NULL", "study_name VARCHAR(512) NOT NULL",
                               "PRIMARY KEY (study_id)"}),
      "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)",
      create_table("version_info", {"version_info_id INTEGER NOT NULL", "schema_version INTEGER",
                                    "library_version VARCHAR(256)", "PRIMARY KEY (version_info_id)",
                                    "CHECK (version_info_id=1)"}),
      create_table("study_directions",
                   {"study_direction_id SERIAL NOT NULL", "direction studydirection NOT NULL",
                    "study_id INTEGER NOT NULL", "objective INTEGER NOT NULL",
                    "PRIMARY KEY (study_direction_id)", "UNIQUE (study_id, objective)",
                    "FOREIGN KEY(study_id) REFERENCES studies (study_id)"}),
      attribute_table("study", "user"),
      attribute_table("study", "system"),
      create_table("trials", {"trial_id SERIAL NOT NULL", "number INTEGER", "study_id INTEGER",
                              "state trialstate NOT NULL", "datetime_start TIMESTAMP WITHOUT TIME ZONE",
                              "datetime_complete TIMESTAMP WITHOUT TIME ZONE", "PRIMARY KEY (trial_id)",
                              "FOREIGN KEY(study_id) REFERENCES studies (study_id)"}),
  };
  // As on SQLite, the revisions differ only by this index (models of Optuna 3.2+).
  if (schema == OptunaSchema::v3_2_0_a) sql.push_back("CREATE INDEX ix_trials_study_id ON trials (study_id)");
  sql.insert(
      sql.end(),
      {attribute_table("trial", "user"), attribute_table("trial", "system"),
       create_table("trial_params",
                    {"param_id SERIAL NOT NULL", "trial_id INTEGER", "param_name VARCHAR(512)",
                     "param_value FLOAT(53)", "distribution_json TEXT", "PRIMARY KEY (param_id)",
                     "UNIQUE (trial_id, param_name)", trial_fk}),
       create_table("trial_values",
                    {"trial_value_id SERIAL NOT NULL", "trial_id INTEGER NOT NULL",
                     "objective INTEGER NOT NULL", "value FLOAT(53)", "value_type trialvaluetype NOT NULL",
                     "PRIMARY KEY (trial_value_id)", "UNIQUE (trial_id, objective)", trial_fk}),
       create_table("trial_intermediate_values",
                    {"trial_intermediate_value_id SERIAL NOT NULL", "trial_id INTEGER NOT NULL",
                     "step INTEGER NOT NULL", "intermediate_value FLOAT(53)",
                     "intermediate_value_type trialintermediatevaluetype NOT NULL",
                     "PRIMARY KEY (trial_intermediate_value_id)", "UNIQUE (trial_id, step)", trial_fk}),
       create_table("trial_heartbeats",
                    {"trial_heartbeat_id SERIAL NOT NULL", "trial_id INTEGER NOT NULL",
                     "heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL", "PRIMARY KEY (trial_heartbeat_id)",
                     "UNIQUE (trial_id)", trial_fk}),
       create_table("alembic_version", {"version_num VARCHAR(32) NOT NULL",
                                        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)"})});
  return sql;
}

// Tables of the schema that unqualified names resolve to (the first of search_path).
std::set<std::string> tables(Connection& connection) {
  const Result rows = connection.exec(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()");
  std::set<std::string> names;
  for (int i = 0; i < rows.rows(); ++i) names.insert(rows.text(i, 0));
  return names;
}

std::optional<OptunaSchema> inspect(Connection& connection) {
  const std::set<std::string> present = tables(connection);
  if (present.empty()) return std::nullopt;
  for (const char* table : kTables) {
    if (present.count(table) == 0) {
      throw StorageError("the PostgreSQL database " + connection.display() +
                         " has tables but is not an Optuna study database: it has no table '" + table +
                         "'; refusing to write to it");
    }
  }
  const Result revisions = connection.exec("SELECT version_num FROM alembic_version");
  if (revisions.rows() != 1) {
    throw StorageError("the PostgreSQL database " + connection.display() + " has " +
                       std::to_string(revisions.rows()) +
                       " rows in alembic_version; an Optuna database has exactly one");
  }
  const std::string revision = revisions.text(0, 0);
  for (OptunaSchema schema : {OptunaSchema::v3_0_0_d, OptunaSchema::v3_2_0_a}) {
    if (revision == sqlite::alembic_revision(schema)) return schema;
  }
  throw StorageError("the PostgreSQL database " + connection.display() +
                     " is an Optuna database at schema revision '" + revision +
                     "', but hpo reads only v3.0.0.d (Optuna 3.0-3.1) and v3.2.0.a (Optuna 3.2-5.x); "
                     "convert it with `optuna storage upgrade` to one of those");
}

}  // namespace

OptunaSchema open_schema(Connection& connection, OptunaSchema for_new) {
  // Looking needs no lock and writes nothing: most opens find the schema.
  if (std::optional<OptunaSchema> existing = inspect(connection)) return *existing;
  connection.exec("BEGIN");
  try {
    connection.exec(kSchemaLock);
    std::optional<OptunaSchema> existing = inspect(connection);  // another worker was first?
    if (!existing) {
      for (const std::string& sql : schema_statements(for_new)) connection.exec(sql);
      connection.exec("INSERT INTO version_info (version_info_id, schema_version, library_version) "
                      "VALUES (1, $1, $2)",
                      {param(std::int64_t{kOptunaSchemaVersion}),
                       param(for_new == OptunaSchema::v3_2_0_a ? "3.2.0" : "3.0.0")});
      connection.exec("INSERT INTO alembic_version (version_num) VALUES ($1)",
                      {param(sqlite::alembic_revision(for_new))});
    }
    connection.exec("COMMIT");
    return existing.value_or(for_new);
  } catch (...) {
    try {
      connection.exec("ROLLBACK");
    } catch (const Failure&) {
      // The connection is gone; the server rolled back.
    }
    throw;
  }
}

}  // namespace hpo::pg
