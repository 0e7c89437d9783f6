#include "sqlite_schema.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <set>

#include <SQLiteCpp/Statement.h>

#include "hpo/error.hpp"

namespace hpo::sqlite {
namespace {

// Optuna's SCHEMA_VERSION constant, stored in version_info.schema_version since 2.x.
constexpr int kOptunaSchemaVersion = 12;

const char* const kTables[] = {
    "studies",          "version_info",          "study_directions",
    "study_user_attributes", "study_system_attributes", "trials",
    "trial_user_attributes", "trial_system_attributes", "trial_params",
    "trial_values",     "trial_intermediate_values", "trial_heartbeats",
    "alembic_version"};

// SQLAlchemy's layout of CREATE TABLE: one definition per line, each line after the
// first indented by a tab, separated by ", " + newline.
std::string create_table(const std::string& name, std::initializer_list<std::string> lines) {
  std::string sql = "CREATE TABLE " + name + " (";
  const char* separator = "\n\t";
  for (const std::string& line : lines) {
    sql += separator + line;
    separator = ", \n\t";
  }
  return sql + "\n)";
}

// The four attribute tables differ only by their owner (study or trial) and kind.
std::string attribute_table(const std::string& owner, const std::string& kind) {
  const std::string table = owner + "_" + kind + "_attributes";
  const std::string owner_table = owner == "study" ? "studies" : "trials";
  return create_table(table, {owner + "_" + kind + "_attribute_id INTEGER NOT NULL",
                              owner + "_id INTEGER", "\"key\" VARCHAR(512)", "value_json TEXT",
                              "PRIMARY KEY (" + owner + "_" + kind + "_attribute_id)",
                              "UNIQUE (" + owner + "_id, \"key\")",
                              "FOREIGN KEY(" + owner + "_id) REFERENCES " + owner_table + " (" +
                                  owner + "_id)"});
}

// Statements in the order SQLAlchemy's create_all and alembic's stamp run them, so that
// sqlite_master lists the same entries in the same order as a file Optuna created.
std::vector<std::string> schema_statements(OptunaSchema schema) {
  const std::string trial_fk = "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)";
  std::vector<std::string> sql = {
      create_table("studies", {"study_id INTEGER NOT NULL",
                               "study_name VARCHAR(512) NOT NULL", "PRIMARY KEY (study_id)"}),
      "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)",
      create_table("version_info",
                   {"version_info_id INTEGER NOT NULL", "schema_version INTEGER",
                    "library_version VARCHAR(256)", "PRIMARY KEY (version_info_id)",
                    "CHECK (version_info_id=1)"}),
      create_table("study_directions",
                   {"study_direction_id INTEGER NOT NULL", "direction VARCHAR(8) NOT NULL",
                    "study_id INTEGER NOT NULL", "objective INTEGER NOT NULL",
                    "PRIMARY KEY (study_direction_id)", "UNIQUE (study_id, objective)",
                    "FOREIGN KEY(study_id) REFERENCES studies (study_id)"}),
      attribute_table("study", "user"),
      attribute_table("study", "system"),
      create_table("trials", {"trial_id INTEGER NOT NULL", "number INTEGER",
                              "study_id INTEGER", "state VARCHAR(8) NOT NULL",
                              "datetime_start DATETIME", "datetime_complete DATETIME",
                              "PRIMARY KEY (trial_id)",
                              "FOREIGN KEY(study_id) REFERENCES studies (study_id)"}),
  };
  // The only difference between the two revisions (Optuna 3.2 declared
  // trials.study_id with index=True).
  if (schema == OptunaSchema::v3_2_0_a) {
    sql.push_back("CREATE INDEX ix_trials_study_id ON trials (study_id)");
  }
  sql.insert(
      sql.end(),
      {attribute_table("trial", "user"), attribute_table("trial", "system"),
       create_table("trial_params",
                    {"param_id INTEGER NOT NULL", "trial_id INTEGER",
                     "param_name VARCHAR(512)", "param_value FLOAT", "distribution_json TEXT",
                     "PRIMARY KEY (param_id)", "UNIQUE (trial_id, param_name)", trial_fk}),
       create_table("trial_values",
                    {"trial_value_id INTEGER NOT NULL", "trial_id INTEGER NOT NULL",
                     "objective INTEGER NOT NULL", "value FLOAT",
                     "value_type VARCHAR(7) NOT NULL", "PRIMARY KEY (trial_value_id)",
                     "UNIQUE (trial_id, objective)", trial_fk}),
       create_table("trial_intermediate_values",
                    {"trial_intermediate_value_id INTEGER NOT NULL",
                     "trial_id INTEGER NOT NULL", "step INTEGER NOT NULL",
                     "intermediate_value FLOAT", "intermediate_value_type VARCHAR(7) NOT NULL",
                     "PRIMARY KEY (trial_intermediate_value_id)", "UNIQUE (trial_id, step)",
                     trial_fk}),
       create_table("trial_heartbeats",
                    {"trial_heartbeat_id INTEGER NOT NULL", "trial_id INTEGER NOT NULL",
                     "heartbeat DATETIME NOT NULL", "PRIMARY KEY (trial_heartbeat_id)",
                     "UNIQUE (trial_id)", trial_fk}),
       create_table("alembic_version",
                    {"version_num VARCHAR(32) NOT NULL",
                     "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)"})});
  return sql;
}

// version_info.library_version names the Optuna release whose schema the file follows:
// Optuna only prints it in error messages, and naming a real Optuna release keeps those
// messages meaningful to Python users.
const char* library_version(OptunaSchema schema) {
  return schema == OptunaSchema::v3_2_0_a ? "3.2.0" : "3.0.0";
}

}  // namespace

const char* alembic_revision(OptunaSchema schema) {
  return schema == OptunaSchema::v3_2_0_a ? "v3.2.0.a" : "v3.0.0.d";
}

void check_sqlite_file_header(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return;  // missing: SQLite creates it
  std::array<char, 16> header{};
  file.read(header.data(), header.size());
  if (file.gcount() == 0) return;  // an empty file is an empty SQLite database
  static const char kMagic[] = "SQLite format 3";  // + the terminating NUL: 16 bytes
  if (file.gcount() < 16 || std::memcmp(header.data(), kMagic, sizeof kMagic) != 0) {
    throw StorageError("'" + path + "' is not a SQLite database (its first bytes are not "
                       "the SQLite file header); refusing to open it as study storage");
  }
}

std::optional<OptunaSchema> inspect_schema(SQLite::Database& db, const std::string& path) {
  std::set<std::string> tables;
  SQLite::Statement list(db, "SELECT name FROM sqlite_master WHERE type = 'table'");
  while (list.executeStep()) tables.insert(list.getColumn(0).getString());
  if (tables.empty()) return std::nullopt;

  for (const char* table : kTables) {
    if (tables.count(table) == 0) {
      throw StorageError("'" + path + "' is a SQLite database but not an Optuna study " +
                         "database: it has no table '" + table + "'");
    }
  }
  std::vector<std::string> revisions;
  SQLite::Statement version(db, "SELECT version_num FROM alembic_version");
  while (version.executeStep()) revisions.push_back(version.getColumn(0).getString());
  if (revisions.size() != 1) {
    throw StorageError("'" + path + "' has " + std::to_string(revisions.size()) +
                       " rows in alembic_version; an Optuna database has exactly one");
  }
  for (OptunaSchema schema : {OptunaSchema::v3_0_0_d, OptunaSchema::v3_2_0_a}) {
    if (revisions[0] == alembic_revision(schema)) return schema;
  }
  throw StorageError("'" + path + "' is an Optuna database at schema revision '" +
                     revisions[0] + "', but hpo reads only v3.0.0.d (Optuna 3.0-3.1) and " +
                     "v3.2.0.a (Optuna 3.2-5.x); convert it with `optuna storage upgrade` " +
                     "to one of those");
}

void create_schema(SQLite::Database& db, OptunaSchema schema) {
  for (const std::string& sql : schema_statements(schema)) db.exec(sql);
  SQLite::Statement version_info(
      db, "INSERT INTO version_info (version_info_id, schema_version, library_version) "
          "VALUES (1, ?, ?)");
  version_info.bind(1, kOptunaSchemaVersion);
  version_info.bind(2, library_version(schema));
  version_info.exec();
  SQLite::Statement alembic(db, "INSERT INTO alembic_version (version_num) VALUES (?)");
  alembic.bind(1, alembic_revision(schema));
  alembic.exec();
}

}  // namespace hpo::sqlite
