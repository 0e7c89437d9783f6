// Report pages and the dashboard in Debian's headless Chromium: what a person would see
// (a picture that is not blank, one point per trial), no console errors, no requests for
// anything outside the page, and a dashboard page that shows trials another process adds.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include "headless_chromium.hpp"
#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/storage/sqlite_storage.hpp"
#include "hpo/study.hpp"
#include "hpo_process.hpp"
#include "report/report_page.hpp"
#include "synthetic_study.hpp"

namespace hpo::report_test {
namespace {

using cli_test::args;
using cli_test::RunResult;

constexpr const char* kHistoryPoints = "document.querySelectorAll('#history-by-number .trial-point').length";

class ReportBrowserTest : public cli_test::HpoTest {
 protected:
  // One browser for the suite: starting Chromium costs seconds on a loaded machine.
  static void SetUpTestSuite() { browser_ = std::make_unique<HeadlessChromium>(); }
  static void TearDownTestSuite() { browser_.reset(); }

  std::shared_ptr<SqliteStorage> storage() const { return std::make_shared<SqliteStorage>(db_path().string()); }
  std::string file_url(const std::string& name) const { return "file://" + (folder() / name).string(); }

  // Writes the report of `study` to NAME.html and opens it; returns the load time.
  double open_report(const std::string& study) {
    const auto start = std::chrono::steady_clock::now();
    const RunResult report = hpo(args({{"report"}, HpoTest::storage(), {"--study-name", study, "--output", study + ".html"}}));
    EXPECT_EQ(report.exit_code, 0) << report.err;
    const double write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double load_seconds = browser_->open(file_url(study + ".html")).count();
    std::cout << "[ report ] study '" << study << "': hpo report " << write_seconds << " s, Chromium load "
              << load_seconds << " s\n";
    return write_seconds + load_seconds;
  }

  // No console errors, and no request but the page itself.
  void expect_quiet_and_offline(const std::string& url) {
    const PageEvents& events = browser_->events();
    EXPECT_TRUE(events.console_errors.empty()) << ::testing::PrintToString(events.console_errors);
    for (const std::string& request : events.requests) EXPECT_EQ(request, url);
  }

  static std::unique_ptr<HeadlessChromium> browser_;
};

std::unique_ptr<HeadlessChromium> ReportBrowserTest::browser_;

TEST_F(ReportBrowserTest, TheChecksCatchErrorsRequestsAndBlankPages) {
  write_text("bad.html",
             "<!DOCTYPE html><html><body><p>x</p><img src=\"http://127.0.0.1:9/missing.png\">"
             "<script>console.error('on purpose'); undefined_function();</script></body></html>");
  browser_->open(file_url("bad.html"));
  const PageEvents& events = browser_->events();
  EXPECT_GE(events.console_errors.size(), 2u);
  bool requested_image = false;
  for (const std::string& request : events.requests) requested_image |= request == "http://127.0.0.1:9/missing.png";
  EXPECT_TRUE(requested_image);
  browser_->open("about:blank");
  EXPECT_TRUE(is_blank_png(browser_->screenshot()));
}

TEST_F(ReportBrowserTest, HybridStudyReport) {
  add_synthetic_study(*storage(), "hybrid", SyntheticStudyOptions().n_trials(60));
  open_report("hybrid");
  expect_quiet_and_offline(file_url("hybrid.html"));
  EXPECT_EQ(browser_->evaluate(kHistoryPoints), 60);
  EXPECT_EQ(browser_->evaluate("document.querySelectorAll('#history-by-time .trial-point').length"), 60);
  EXPECT_GT(browser_->evaluate("document.querySelectorAll('.refinement-arrow').length").get<int>(), 10);
  // Drawn in their own colour (a page style once greyed every line inside the slice plots).
  EXPECT_EQ(browser_->evaluate("getComputedStyle(document.querySelector('.refinement-arrow')).stroke"), "rgb(68, 68, 68)");
  EXPECT_GT(browser_->evaluate("document.querySelectorAll('#exploit-tree .tree-edge').length").get<int>(), 5);
  // The plots have a size on screen (an SVG error would leave them empty).
  EXPECT_GT(browser_->evaluate("document.getElementById('history-by-number').getBoundingClientRect().height").get<double>(), 200);
  const std::vector<unsigned char> png = browser_->screenshot();
  EXPECT_FALSE(is_blank_png(png));
  std::ofstream(folder() / "hybrid.png", std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
}

TEST_F(ReportBrowserTest, BadInputGivesAClearPageOrError) {
  {
    auto db = storage();
    create_study(db, StudyOptions().study_name("empty"));
    Study failing = create_study(db, StudyOptions().study_name("failing"));
    for (int i = 0; i < 3; ++i) failing.tell(failing.ask().number(), {}, TrialState::Fail);
  }
  open_report("empty");
  expect_quiet_and_offline(file_url("empty.html"));
  EXPECT_EQ(browser_->evaluate("document.body.innerText.includes('no trials yet')"), true);
  EXPECT_FALSE(is_blank_png(browser_->screenshot()));

  open_report("failing");
  expect_quiet_and_offline(file_url("failing.html"));
  EXPECT_EQ(browser_->evaluate(kHistoryPoints), 3);
  EXPECT_EQ(browser_->evaluate("document.body.innerText.includes('No trial has completed')"), true);

  const RunResult unknown = hpo(args({{"report"}, HpoTest::storage(), {"--study-name", "nope", "-o", "nope.html"}}));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("nope"), std::string::npos) << unknown.err;
  EXPECT_FALSE(std::filesystem::exists(folder() / "nope.html"));
  const RunResult no_database = hpo({"report", "--storage", "sqlite:///absent.db", "--study-name", "s"});
  EXPECT_EQ(no_database.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(folder() / "absent.db"));
}

// In memory and rendered in-process: writing 10,000 trials to SQLite one transaction at a
// time would take most of this suite's time budget, and reading them back is the storage
// tests' business.
TEST_F(ReportBrowserTest, HundredAndTenThousandTrialsRenderWithinSeconds) {
  for (int n_trials : {100, 10000}) {
    auto memory = std::make_shared<InMemoryStorage>();
    const std::string name = "t" + std::to_string(n_trials);
    add_synthetic_study(*memory, name, SyntheticStudyOptions().n_trials(n_trials).n_features(16));
    // CPU time for the render (this process): wall time on a loaded 2-core machine says
    // more about the other jobs than about the report.
    const std::clock_t cpu_start = std::clock();
    const auto start = std::chrono::steady_clock::now();
    const std::string html =
        cli::render_report(cli::read_study_view(load_study(memory, name)), cli::ReportOptions(), cli::PageFrame{"test", {}, {}});
    const double render_cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    const double render_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_text(name + ".html", html);
    const double load_seconds = browser_->open(file_url(name + ".html")).count();
    std::cout << "[ report ] " << n_trials << " trials: read and rendered in " << render_seconds << " s (" << render_cpu
              << " s CPU, " << html.size() / 1024 << " KiB), Chromium load " << load_seconds << " s\n";
    EXPECT_LT(render_cpu, kTenThousandTrialsRenderBudget);
    EXPECT_LT(load_seconds, 20.0);
    expect_quiet_and_offline(file_url(name + ".html"));
    EXPECT_EQ(browser_->evaluate(kHistoryPoints), n_trials);
    EXPECT_EQ(browser_->evaluate("document.body.innerText.includes('Downsampled to stay readable')"), n_trials > 1000);
    EXPECT_FALSE(is_blank_png(browser_->screenshot()));
  }
}

TEST_F(ReportBrowserTest, DashboardShowsTrialsAnotherProcessAdds) {
  std::int64_t study_id = 0;
  {
    auto db = storage();
    study_id = add_synthetic_study(*db, "live", SyntheticStudyOptions().n_trials(5));
  }
  const int server = start(args({{"dashboard"}, HpoTest::storage(), {"--port", "0"}}));
  std::string root;
  for (int i = 0; i < 200 && root.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch match;
    const std::string out = read_text("stdout.txt");
    if (std::regex_search(out, match, std::regex(R"(http://127\.0\.0\.1:\d+/)"))) root = match.str();
  }
  ASSERT_FALSE(root.empty()) << read_text("stderr.txt");

  browser_->open(root);
  EXPECT_EQ(browser_->evaluate("document.querySelector('#studies a').textContent"), "live");
  browser_->open(root + "study?name=live");
  EXPECT_EQ(browser_->evaluate(kHistoryPoints), 5);

  // This test process is the other process: it writes to the database the server reads.
  auto writer = storage();
  const auto added = std::chrono::steady_clock::now();
  for (int seed = 0; seed < 3; ++seed) add_synthetic_trial(*writer, study_id, seed);
  int shown = 5;
  while (shown != 8 && std::chrono::steady_clock::now() - added < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    shown = browser_->evaluate(kHistoryPoints).get<int>();
  }
  EXPECT_EQ(shown, 8);
  std::cout << "[ report ] the dashboard showed 3 new trials after "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - added).count() << " s\n";
  const PageEvents& events = browser_->events();
  EXPECT_TRUE(events.console_errors.empty()) << ::testing::PrintToString(events.console_errors);
  for (const std::string& request : events.requests) EXPECT_EQ(request.rfind(root, 0), 0u) << request;

  // Read-only: nothing but GET; an unknown study is a clear 404 page.
  EXPECT_EQ(browser_->evaluate("fetch('/study?name=live', {method: 'POST'}).then(r => r.status)").get<int>() / 100, 4);
  EXPECT_EQ(browser_->evaluate("fetch('/study?name=nope').then(r => r.status)"), 404);
  browser_->open(root + "study?name=nope");
  EXPECT_EQ(browser_->evaluate("document.body.innerText.includes(\"no study named 'nope'\")"), true);

  ::kill(server, SIGINT);
  EXPECT_EQ(wait(server).exit_code, 130);
}

TEST_F(ReportBrowserTest, DashboardRefusesAMissingDatabase) {
  const RunResult result = hpo({"dashboard", "--storage", "sqlite:///absent.db", "--port", "0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("absent.db"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(folder() / "absent.db"));
}

}  // namespace
}  // namespace hpo::report_test
