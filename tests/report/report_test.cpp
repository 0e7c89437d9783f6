// The report's pieces and pages, rendered in-process from studies built through the
// Storage API (no browser; see report_browser_test.cpp for that).
#include <gtest/gtest.h>

#include <ctime>
#include <cmath>
#include <random>
#include <regex>

#include "hpo/storage/in_memory_storage.hpp"
#include "hpo/study.hpp"
#include "report/hybrid_record.hpp"
#include "report/importance.hpp"
#include "report/param_layout.hpp"
#include "report/report_page.hpp"
#include "report/scale.hpp"
#include "synthetic_study.hpp"

namespace hpo::cli {
namespace {

using report_test::add_synthetic_study;
using report_test::kTenThousandTrialsRenderBudget;
using report_test::SyntheticStudyOptions;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The markup of the element with this id, up to the end of its <svg>.
std::string chart_markup(const std::string& html, const std::string& id) {
  const std::size_t start = html.find("id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</svg>", start) - start);
}

StudyView view_of(const std::shared_ptr<Storage>& storage, const std::string& name) {
  return read_study_view(load_study(storage, name));
}

std::string render(const StudyView& view, const ReportOptions& options = {}) {
  return render_report(view, options, PageFrame{"test", {}, {}});
}

std::vector<FrozenTrial> trials_of(const std::vector<std::pair<std::map<std::string, double>, double>>& rows) {
  std::vector<FrozenTrial> trials;
  for (const auto& [params, value] : rows) {
    FrozenTrial trial;
    trial.state = TrialState::Complete;
    trial.values = {value};
    for (const auto& [name, v] : params) {
      trial.params[name] = v;
      trial.distributions.emplace(name, FloatDistribution(0, 1));
    }
    trials.push_back(trial);
  }
  return trials;
}

std::vector<const FrozenTrial*> pointers(const std::vector<FrozenTrial>& trials) {
  std::vector<const FrozenTrial*> out;
  for (const FrozenTrial& trial : trials) out.push_back(&trial);
  return out;
}

TEST(ReportImportance, FindsTheOneParameterThatMatters) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::pair<std::map<std::string, double>, double>> rows;
  for (int i = 0; i < 200; ++i) {
    const double a = u(rng), b = u(rng), c = u(rng);
    rows.push_back({{{"a", a}, {"b", b}, {"c", c}}, (a - 0.3) * (a - 0.3) + 0.001 * u(rng)});
  }
  const auto trials = trials_of(rows);
  const auto importances = first_order_importances(pointers(trials), {"a", "b", "c"});
  ASSERT_EQ(importances.size(), 3u);
  EXPECT_EQ(importances[0].param, "a");
  EXPECT_GT(importances[0].share, 0.85);
  EXPECT_GT(importances[0].omega_squared, 0.8);
  EXPECT_LT(importances[1].omega_squared, 0.12);  // 5 standard deviations of ω² for noise at n = 200
}

TEST(ReportImportance, NoiseExplainsNothingMuch) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::pair<std::map<std::string, double>, double>> rows;
  for (int i = 0; i < 300; ++i) rows.push_back({{{"a", u(rng)}, {"b", u(rng)}}, u(rng)});
  const auto trials = trials_of(rows);
  for (const ParamImportance& importance : first_order_importances(pointers(trials), {"a", "b"})) {
    EXPECT_LT(importance.omega_squared, 0.12) << importance.param;
  }
}

TEST(ReportImportance, LeavesOutParamsWithTooFewTrials) {
  const auto trials = trials_of({{{{"a", 0.1}}, 1.0}, {{{"a", 0.2}}, 2.0}, {{{"a", 0.3}}, 3.0}});
  EXPECT_TRUE(first_order_importances(pointers(trials), {"a", "missing"}).empty());
}

TEST(ReportScale, LogScaleForWideRangesAndDecadeTicks) {
  Scale wide = Scale::fit({1e-4, 1e-3, 0.5});
  EXPECT_TRUE(wide.is_logarithmic());
  for (const Tick& tick : wide.ticks()) EXPECT_NEAR(std::log10(tick.value), std::round(std::log10(tick.value)), 1e-9);
  EXPECT_FALSE(Scale::fit({0.2, 0.3}).is_logarithmic());
  EXPECT_FALSE(Scale::fit({-1, 1000}).is_logarithmic());
  Scale constant = Scale::fit({2, 2, NAN});
  constant.to_pixels(0, 100);
  EXPECT_DOUBLE_EQ(constant(2), 50);
}

TEST(ReportLayout, GroupsVectorElements) {
  FrozenTrial trial;
  for (const std::string name : {"l2", "feature_l2[0]", "feature_l2[1]", "feature_l2[10]", "lonely[0]", "bad[x]"}) {
    trial.params[name] = 0.5;
    trial.distributions.emplace(name, FloatDistribution(0, 1));
  }
  const ParamLayout layout = param_layout({trial});
  ASSERT_EQ(layout.vectors.size(), 1u);
  EXPECT_EQ(layout.vectors[0].name, "feature_l2");
  EXPECT_EQ(layout.vectors[0].elements, (std::vector<std::string>{"feature_l2[0]", "feature_l2[1]", "feature_l2[10]"}));
  EXPECT_EQ(layout.scalars, (std::vector<std::string>{"bad[x]", "l2", "lonely[0]"}));
}

TEST(ReportHybridRecord, ReadsWhatIsThereAndIgnoresTheRest) {
  AttrMap attrs = {{"hybrid:mode", "exploit"},
                   {"hybrid:parent", 3},
                   {"hypergrad", {{"initial_params", {{"l2", 0.1}, {"odd", "text"}}},
                                  {"hypergradient_norms", {1.0, nullptr, 0.25}},
                                  {"method", "cg"},
                                  {"whole_runs", {0.5, 0.25}},
                                  {"best_run", 2},
                                  {"trajectory", {1, 2, 3}}}}};
  const HybridRecord record = read_hybrid_record(attrs);
  EXPECT_EQ(record.mode, "exploit");
  EXPECT_EQ(record.parent, 3);
  EXPECT_EQ(record.initial_params, (std::map<std::string, double>{{"l2", 0.1}}));
  ASSERT_EQ(record.hypergradient_norms.size(), 3u);
  EXPECT_TRUE(std::isnan(record.hypergradient_norms[1]));
  EXPECT_EQ(record.method, "cg");
  EXPECT_EQ(record.whole_runs, (std::vector<double>{0.5, 0.25}));
  EXPECT_EQ(record.best_run, 2);

  const HybridRecord malformed = read_hybrid_record({{"hypergrad", "not an object"}, {"hybrid:parent", "x"}});
  EXPECT_TRUE(malformed.empty());
  EXPECT_TRUE(read_hybrid_record({}).empty());
}

TEST(ReportPage, HybridStudyHasEveryPlot) {
  auto storage = std::make_shared<InMemoryStorage>();
  add_synthetic_study(*storage, "hybrid", SyntheticStudyOptions().n_trials(40));
  const std::string html = render(view_of(storage, "hybrid"));
  for (const char* id : {"history-by-number", "history-by-time", "intermediate-values", "importance-bars",
                         "slice-0", "parallel-coordinates", "strip-0", "hypergradient-norms", "exploit-tree",
                         "best-trial", "study"}) {
    EXPECT_NE(html.find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  EXPECT_EQ(count(chart_markup(html, "history-by-number"), "class=\"trial-point"), 40u);
  EXPECT_EQ(count(chart_markup(html, "history-by-number"), "state-FAIL"), 4u);  // trials 8, 17, 26, 35
  EXPECT_GT(count(html, "class=\"refinement-arrow\""), 10u);
  EXPECT_GT(count(chart_markup(html, "exploit-tree"), "class=\"tree-edge\""), 5u);
  // One strip row per complete trial (40 minus 4 failed minus 5 pruned).
  EXPECT_EQ(count(chart_markup(html, "strip-0"), "class=\"strip-row\""), 31u);
  // The most important param is the one the value depends on most.
  EXPECT_NE(html.find("data-param=\"l2\""), std::string::npos);
  EXPECT_LT(html.find("data-param=\"l2\""), html.find("class=\"importance-bar\" data-param=\"optimizer\""));
  EXPECT_EQ(html.find("Downsampled"), std::string::npos);
}

TEST(ReportPage, SelfContained) {
  auto storage = std::make_shared<InMemoryStorage>();
  add_synthetic_study(*storage, "s", SyntheticStudyOptions().n_trials(12));
  const std::string html = render(view_of(storage, "s"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // Every URL is the SVG namespace or a link inside the page.
  const std::regex url(R"((https?:|//)[^"' )]*)");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), url); it != std::sregex_iterator(); ++it) {
    EXPECT_EQ(it->str(), "http://www.w3.org/2000/svg");
  }
}

TEST(ReportPage, PlainStudyLeavesOutTheHybridPlots) {
  auto storage = std::make_shared<InMemoryStorage>();
  add_synthetic_study(*storage, "plain", SyntheticStudyOptions().n_trials(20).hybrid(false));
  const std::string html = render(view_of(storage, "plain"));
  EXPECT_NE(html.find("id=\"history-by-number\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"hypergradient-norms\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"exploit-tree\""), std::string::npos);
  EXPECT_EQ(html.find("refinement-arrow"), std::string::npos);
}

TEST(ReportPage, EmptyStudySaysSo) {
  auto storage = std::make_shared<InMemoryStorage>();
  create_study(storage, StudyOptions().study_name("empty"));
  const std::string html = render(view_of(storage, "empty"));
  EXPECT_NE(html.find("no trials yet"), std::string::npos);
  EXPECT_EQ(html.find("id=\"history\""), std::string::npos);
  EXPECT_NE(html.find("id=\"study\""), std::string::npos);
}

TEST(ReportPage, OnlyFailedTrials) {
  auto storage = std::make_shared<InMemoryStorage>();
  Study study = create_study(storage, StudyOptions().study_name("failing"));
  for (int i = 0; i < 3; ++i) {
    Trial trial = study.ask();
    trial.suggest_float("x", 0, 1);
    study.tell(trial, TrialState::Fail);
  }
  const std::string html = render(view_of(storage, "failing"));
  EXPECT_NE(html.find("No trial has completed"), std::string::npos);
  EXPECT_EQ(count(chart_markup(html, "history-by-number"), "class=\"trial-point"), 3u);
  EXPECT_EQ(html.find("id=\"slices\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"best-trial\""), std::string::npos);
}

TEST(ReportPage, ParetoFrontOfTwoObjectives) {
  auto storage = std::make_shared<InMemoryStorage>();
  Study study = create_study(storage, StudyOptions().study_name("mo").directions(
                                          {StudyDirection::Minimize, StudyDirection::Minimize}));
  for (int i = 0; i <= 10; ++i) {
    Trial trial = study.ask();
    const double x = trial.suggest_float("x", 0, 1);
    study.tell(trial, std::vector<double>{x, (1 - x) * (1 - x) + (i % 2) * 0.5});
  }
  const StudyView view = view_of(storage, "mo");
  const std::string html = render(view);
  EXPECT_EQ(count(chart_markup(html, "pareto-front"), "class=\"pareto-point\""), view.pareto_front.size());
  EXPECT_GE(view.pareto_front.size(), 3u);
  EXPECT_NE(html.find("id=\"history-by-number-1\""), std::string::npos);
}

TEST(ReportPage, TenThousandTrialsRenderQuicklyAndSayWhatIsDownsampled) {
  auto storage = std::make_shared<InMemoryStorage>();
  add_synthetic_study(*storage, "big", SyntheticStudyOptions().n_trials(10000).n_features(16));
  const StudyView view = view_of(storage, "big");
  const std::clock_t start = std::clock();  // CPU time: the machine's other jobs do not count
  const std::string html = render(view);
  const double seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  std::cout << "[ report ] 10,000 trials rendered in " << seconds << " s CPU, " << html.size() / 1024 << " KiB\n";
  EXPECT_LT(seconds, kTenThousandTrialsRenderBudget);
  EXPECT_EQ(count(chart_markup(html, "history-by-number"), "class=\"trial-point"), 10000u);
  EXPECT_NE(html.find("Downsampled to stay readable"), std::string::npos);
  EXPECT_LE(count(chart_markup(html, "intermediate-values"), "class=\"trial-line"), 200u);
  EXPECT_LE(count(chart_markup(html, "strip-0"), "class=\"strip-row\""), 100u);
}

}  // namespace
}  // namespace hpo::cli
