// The hpo program on PostgreSQL: every command that takes --storage takes the URL, and bad
// input (wrong password, no server, a foreign database, an unknown revision, a bad URL)
// ends in one line on stderr, exit code 2, and a database exactly as it was.
#include <gtest/gtest.h>

#include "hpo_process.hpp"
#include "postgres_server.hpp"

namespace hpo::cli_test {
namespace {

using test::PostgresServer;

const std::vector<std::string> kStudy = {"--study-name", "s"};
const std::string kSpace =
    R"({"x": {"type": "float", "low": -1, "high": 1}, "n": {"type": "int", "low": 1, "high": 9}})";

class PostgresCli : public HpoTest {
 protected:
  void SetUp() override {
    HpoTest::SetUp();
    url_ = PostgresServer::instance().new_database();
    database_ = url_.substr(url_.rfind('/') + 1);
  }
  std::vector<std::string> pg_storage() const { return {"--storage", url_}; }
  std::string ok(const std::vector<std::string>& arguments) const {
    const RunResult r = hpo(arguments);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // Everything in the database, schema and rows.
  std::string contents() const {
    return test::run_command("/usr/lib/postgresql/15/bin/pg_dump '" + PostgresServer::instance().url(database_) +
                             "' | grep -v '^.restrict\\|^.unrestrict'");
  }
  void expect_refused(const std::vector<std::string>& arguments, const std::string& message) const {
    const std::string before = contents();
    const RunResult r = hpo(arguments);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("hpo-test"), std::string::npos) << "the password is printed: " << r.err;
    EXPECT_EQ(contents(), before) << "the database changed";
  }
  // The same URL with another password, port or database.
  std::string with(const std::string& from, const std::string& to) const {
    std::string url = url_;
    url.replace(url.find(from), from.size(), to);
    return url;
  }

  std::string url_;
  std::string database_;
};

TEST_F(PostgresCli, EveryStorageCommandTakesTheUrl) {
  EXPECT_EQ(ok(args({{"create-study"}, pg_storage(), kStudy})), "s\n");
  const Json first = Json::parse(ok(args({{"ask"}, pg_storage(), kStudy, {"--search-space", kSpace}})));
  EXPECT_EQ(first["number"], 0);
  ok(args({{"tell"}, pg_storage(), kStudy, {"--trial-number", "0", "--values", "0.5"}}));
  ok(args({{"ask"}, pg_storage(), kStudy, {"--search-space", kSpace}}));
  ok(args({{"tell"}, pg_storage(), kStudy, {"--trial-number", "1", "--state", "pruned"}}));
  ok(args({{"study", "set-user-attr"}, pg_storage(), kStudy, {"--key", "owner", "--value", "ana"}}));

  const Json trials = Json::parse(ok(args({{"trials"}, pg_storage(), kStudy, {"-f", "json"}})));
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0]["params"], first["params"]);
  EXPECT_EQ(trials[1]["state"], "PRUNED");
  EXPECT_EQ(Json::parse(ok(args({{"best-trial"}, pg_storage(), kStudy, {"-f", "json"}})))["value"], 0.5);
  EXPECT_EQ(Json::parse(ok(args({{"best-trials"}, pg_storage(), kStudy, {"-f", "json"}}))).size(), 1u);
  // The SQLAlchemy form, through $HPO_STORAGE.
  const std::string psycopg2 = "postgresql+psycopg2://" + url_.substr(std::string("postgresql://").size());
  const RunResult listed = hpo({"studies", "-f", "json"}, {"HPO_STORAGE=" + psycopg2});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(Json::parse(listed.out)[0]["user_attrs"], Json::parse(R"({"owner": "ana"})"));
  EXPECT_NE(ok(args({{"export"}, pg_storage(), kStudy})), "");
  ok(args({{"delete-study"}, pg_storage(), kStudy}));
  EXPECT_EQ(Json::parse(ok(args({{"studies"}, pg_storage(), {"-f", "json"}}))), Json::array());
}

TEST_F(PostgresCli, BadInputIsOneLineExitTwoAndWritesNothing) {
  ok(args({{"create-study"}, pg_storage(), kStudy}));
  const std::vector<std::vector<std::string>> commands = {
      {"studies"}, {"create-study", "--study-name", "t"}, {"ask", "--study-name", "s", "--search-space", kSpace}};
  auto refused_everywhere = [&](const std::string& url, const std::string& message) {
    for (const std::vector<std::string>& command : commands) {
      SCOPED_TRACE(command[0] + " on " + url);
      expect_refused(args({command, {"--storage", url}}), message);
    }
  };
  refused_everywhere(with(":hpo-test@", ":wrong@"), "password authentication failed");
  const std::string port = std::to_string(PostgresServer::instance().port());
  refused_everywhere(with(":" + port + "/", ":1/"), "Connection refused");
  refused_everywhere(with("/" + database_, "/no_such_db"), "does not exist");
  refused_everywhere(url_ + "?no_such_parameter=1", "cannot read the PostgreSQL URL");

  // A database of another program: refused before anything is created in it.
  PostgresServer::instance().psql(database_, "CREATE TABLE inventory (id integer)");
  const std::string foreign = PostgresServer::instance().new_database();
  PostgresServer::instance().psql(foreign.substr(foreign.rfind('/') + 1), "CREATE TABLE inventory (id integer)");
  database_ = foreign.substr(foreign.rfind('/') + 1);
  url_ = foreign;
  refused_everywhere(url_, "not an Optuna study database: it has no table 'studies'");
}

TEST_F(PostgresCli, UnknownRevisionIsRefused) {
  ok(args({{"create-study"}, pg_storage(), kStudy}));
  PostgresServer::instance().psql(database_, "UPDATE alembic_version SET version_num = 'v9.9.9.z'");
  expect_refused(args({{"trials"}, pg_storage(), kStudy}), "schema revision 'v9.9.9.z'");
  expect_refused(args({{"ask"}, pg_storage(), kStudy, {"--search-space", kSpace}}), "schema revision 'v9.9.9.z'");
}

}  // namespace
}  // namespace hpo::cli_test
