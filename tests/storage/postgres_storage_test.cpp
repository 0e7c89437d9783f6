// What is particular to PostgresStorage: URLs, opening existing databases, lost
// connections (a killed session, a COMMIT whose answer never arrives) and workers that
// fail the same stale trial at once. The Storage contract itself is the conformance
// suite's; bad input through the hpo program is postgres_cli_test's.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "hpo/error.hpp"
#include "hpo/random_sampler.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/storage/postgres_storage.hpp"
#include "hpo/study.hpp"
#include "postgres_server.hpp"

namespace hpo {
namespace {

using std::chrono::milliseconds;
using test::PostgresServer;

std::string database_of(const std::string& url) { return url.substr(url.rfind('/') + 1); }

// A TCP relay between the storage and the server that can cut the connection right
// after the server has answered "COMMIT" (the commit happened, the client never hears
// of it) or any other command tag.
class CuttingProxy {
 public:
  explicit CuttingProxy(int server_port) : server_port_(server_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listen(listener_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~CuttingProxy() {
    stop_ = true;
    thread_.join();
    close(listener_);
  }

  int port() const { return port_; }
  // The next server message carrying this command tag (e.g. "COMMIT") is swallowed and
  // the connection closed.
  void cut_after(const std::string& tag) {
    std::lock_guard<std::mutex> lock(mutex_);
    cut_tag_ = tag;
  }
  int cuts() const { return cuts_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int client = accept(listener_, nullptr, nullptr);
      const int server = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<std::uint16_t>(server_port_));
      if (connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(client);
        close(server);
        continue;
      }
      relay(client, server);
      close(client);
      close(server);
    }
  }

  // One connection at a time is enough: the storage has one.
  void relay(int client, int server) {
    char buffer[65536];
    while (!stop_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (poll(fds, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        if (n <= 0) return;
        if (i == 1 && should_cut(buffer, static_cast<std::size_t>(n))) return;
        if (write(fds[1 - i].fd, buffer, static_cast<std::size_t>(n)) != n) return;
      }
    }
  }

  // A CommandComplete message: 'C', length, the tag and a NUL.
  bool should_cut(const char* data, std::size_t n) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cut_tag_.empty()) return false;
    const std::string wanted = cut_tag_ + std::string(1, '\0');
    const std::string received(data, n);
    if (received.find(wanted) == std::string::npos) return false;
    cut_tag_.clear();
    ++cuts_;
    return true;
  }

  int server_port_;
  int port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> cuts_{0};
  std::mutex mutex_;
  std::string cut_tag_;
  std::thread thread_;
};

TEST(PostgresStorage, OpensThePsycopg2FormAndReportsItsRevision) {
  PostgresServer& server = PostgresServer::instance();
  const std::string url = server.new_database();
  const std::string sqlalchemy = "postgresql+psycopg2://" + url.substr(std::strlen("postgresql://"));
  auto storage = open_storage(sqlalchemy);
  ASSERT_NE(dynamic_cast<PostgresStorage*>(storage.get()), nullptr);
  EXPECT_EQ(dynamic_cast<PostgresStorage&>(*storage).schema(), OptunaSchema::v3_2_0_a);
  storage->create_new_study({StudyDirection::Minimize}, "s");
  // An existing database keeps its revision whatever the options ask for.
  PostgresStorage again(url, PostgresStorageOptions().schema(OptunaSchema::v3_0_0_d));
  EXPECT_EQ(again.schema(), OptunaSchema::v3_2_0_a);
  EXPECT_EQ(again.get_study_id_from_name("s"), storage->get_study_id_from_name("s"));
}

TEST(PostgresStorage, UnixSocketAndQueryParameters) {
  PostgresServer& server = PostgresServer::instance();
  const std::string tcp = server.new_database();
  const std::string database = database_of(tcp);
  // libpq's forms: the socket folder as ?host=, and sslmode (the throwaway server has no
  // TLS, so "disable" and "prefer" work and "require" is refused).
  const std::string socket_url = "postgresql://hpo:hpo-test@/" + database + "?host=" + server.folder() +
                                 "&port=" + std::to_string(server.port());
  PostgresStorage over_socket(socket_url);
  over_socket.create_new_study({StudyDirection::Maximize}, "via-socket");
  PostgresStorage prefer(tcp + "?sslmode=prefer&application_name=hpo-test");
  EXPECT_EQ(prefer.get_study_directions(prefer.get_study_id_from_name("via-socket")),
            std::vector<StudyDirection>{StudyDirection::Maximize});
  try {
    PostgresStorage required(tcp + "?sslmode=require");
    ADD_FAILURE() << "sslmode=require connected to a server without TLS";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("SSL"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PostgresStorage(tcp + "?sslmode=sometimes"), Error);
  EXPECT_THROW(PostgresStorage(tcp + "?no_such_parameter=1"), ValueError);
}

TEST(PostgresStorage, ReconnectsWhenItsSessionIsKilled) {
  PostgresServer& server = PostgresServer::instance();
  const std::string url = server.new_database();
  PostgresStorage storage(url);
  const std::int64_t study = storage.create_new_study({StudyDirection::Minimize}, "s");
  for (int i = 0; i < 3; ++i) {
    server.psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                                database_of(url) + "' AND pid <> pg_backend_pid()");
    const std::int64_t trial = storage.create_new_trial(study);
    EXPECT_EQ(storage.get_trial(trial).number, i);
  }
}

TEST(PostgresStorage, ALostCommitAnswerIsNotAppliedTwice) {
  PostgresServer& server = PostgresServer::instance();
  const std::string direct = server.new_database();
  CuttingProxy proxy(server.port());
  const std::string url = "postgresql://hpo:hpo-test@127.0.0.1:" + std::to_string(proxy.port()) + "/" +
                          database_of(direct);
  PostgresStorage storage(url);
  const std::int64_t study = storage.create_new_study({StudyDirection::Minimize}, "s");

  // The server commits the new trial, the answer is lost: the storage must find the
  // trial rather than create a second one.
  proxy.cut_after("COMMIT");
  const std::int64_t first = storage.create_new_trial(study);
  EXPECT_EQ(proxy.cuts(), 1);
  // Cut before the commit (after the study's lock): nothing was committed, the retry
  // creates the trial.
  proxy.cut_after("SELECT 1");
  const std::int64_t second = storage.create_new_trial(study);
  EXPECT_EQ(proxy.cuts(), 2);
  EXPECT_EQ(server.psql(database_of(direct), "SELECT count(*), max(number) FROM trials"), "2|1\n");
  EXPECT_EQ(storage.get_trial(first).number, 0);
  EXPECT_EQ(storage.get_trial(second).number, 1);

  // Finishing is one statement (its own transaction), answered "SELECT 1": a second
  // attempt would find the trial finished and fail.
  proxy.cut_after("SELECT 1");
  EXPECT_TRUE(storage.set_trial_state_values(first, TrialState::Complete, {0.5}));
  EXPECT_EQ(proxy.cuts(), 3);
  EXPECT_EQ(storage.get_trial(first).values, std::vector<double>{0.5});

  // A new study whose answer was lost is found, not refused as a duplicate.
  proxy.cut_after("COMMIT");
  const std::int64_t other = storage.create_new_study({StudyDirection::Maximize}, "other");
  EXPECT_EQ(storage.get_study_id_from_name("other"), other);
}

TEST(PostgresStorage, WorkersFailingTheSameStaleTrialRetryItOnce) {
  PostgresServer& server = PostgresServer::instance();
  const std::string url = server.new_database();
  const auto options = PostgresStorageOptions()
                           .heartbeat_interval(milliseconds(100))
                           .failed_trial_callback(RetryFailedTrialCallback());
  {
    PostgresStorage dead(url, options);
    const std::int64_t study = dead.create_new_study({StudyDirection::Minimize}, "s");
    // Its first heartbeat comes with it; the worker then "dies" (never beats again).
    dead.set_trial_param(dead.create_new_trial(study), "x", 0.25, FloatDistribution(0, 1));
  }
  std::this_thread::sleep_for(milliseconds(300));
  constexpr int kWorkers = 6;
  std::vector<std::thread> workers;
  std::atomic<int> errors{0};
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      try {
        Study study = load_study(std::make_shared<PostgresStorage>(url, options), "s",
                                 StudyOptions().sampler(std::make_shared<RandomSampler>(w)));
        study.optimize([](Trial& t) { return t.suggest_float("x", 0, 1); }, OptimizeOptions().n_trials(1));
      } catch (const std::exception& e) {
        ++errors;
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (std::thread& t : workers) t.join();
  EXPECT_EQ(errors, 0);
  PostgresStorage storage(url);
  const std::vector<FrozenTrial> trials = storage.get_all_trials(storage.get_study_id_from_name("s"));
  EXPECT_EQ(trials[0].state, TrialState::Fail);
  int retries = 0;
  for (const FrozenTrial& t : trials) {
    if (t.system_attrs.count("failed_trial")) {
      ++retries;
      EXPECT_EQ(t.system_attrs.at("failed_trial"), 0);
      EXPECT_EQ(t.params.count("x") ? t.params.at("x") : Json(0.25), Json(0.25));
    }
  }
  EXPECT_EQ(retries, 1) << "one retry, however many workers saw the stale trial";
}

TEST(PostgresStorage, HeartbeatsUseTheServersClock) {
  PostgresServer& server = PostgresServer::instance();
  const std::string url = server.new_database();
  PostgresStorage storage(url, PostgresStorageOptions().heartbeat_interval(milliseconds(60000)));
  const std::int64_t study = storage.create_new_study({StudyDirection::Minimize}, "s");
  const std::int64_t trial = storage.create_new_trial(study);
  const std::string database = database_of(url);
  EXPECT_EQ(server.psql(database, "SELECT count(*) FROM trial_heartbeats WHERE trial_id = " + std::to_string(trial) +
                                      " AND abs(extract(epoch FROM LOCALTIMESTAMP - heartbeat)) < 5"),
            "1\n")
      << "the first heartbeat is written with the trial, in server time";
  // A heartbeat an hour old by the server's clock is stale, whatever this machine's clock says.
  server.psql(database, "UPDATE trial_heartbeats SET heartbeat = LOCALTIMESTAMP - INTERVAL '1 hour'");
  EXPECT_EQ(storage.get_stale_trial_ids(study), std::vector<std::int64_t>{trial});
  storage.record_heartbeat(trial);
  EXPECT_TRUE(storage.get_stale_trial_ids(study).empty());
}

}  // namespace
}  // namespace hpo
