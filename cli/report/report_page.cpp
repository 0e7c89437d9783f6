#include "report/report_page.hpp"

#include <chrono>
#include <ctime>
#include <map>

#include "report/html.hpp"
#include "report/sections/sections.hpp"

namespace hpo::cli {

namespace {

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#24292f;color:#fff;padding:12px 24px}header h1{margin:0;font-size:20px}
header a{color:#9cf}nav{font-size:13px;margin-top:4px}nav a{margin-right:12px}
main{padding:8px 24px 24px}section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 16px;margin:16px 0}
h2{font-size:17px;margin:6px 0}h3{font-size:15px;margin:10px 0 4px}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.chart{background:#fff;max-width:100%;height:auto}.plot-area{fill:#fcfcfc;stroke:#bbb}
line.grid{stroke:#eee}.tick{font-size:11px;fill:#555}.small{font-size:10px}.axis-title{font-size:12px;fill:#333}
line.axis{stroke:#999}.note{color:#8a5a00;font-size:13px}.summary{font-size:15px}
.legend{font-size:12px;color:#444;display:flex;flex-wrap:wrap;gap:14px;align-items:center}
.legend i{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}caption{text-align:left;font-weight:600;padding:2px 0}
th,td{border:1px solid #e3e3e3;padding:2px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4;font-weight:500}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.json{font-family:ui-monospace,monospace;font-size:12px;max-width:560px;word-break:break-all}
footer{color:#777;font-size:12px;padding:0 24px 16px}
)";

// Polls the version; on a change fetches the page again and swaps <main> (the script
// itself stays, so the polling goes on).
constexpr const char* kLiveScript = R"(
(function () {
  var body = document.body, version = body.dataset.version;
  setInterval(function () {
    fetch(body.dataset.versionUrl, {cache: 'no-store'}).then(function (r) { return r.text(); }).then(function (v) {
      if (v === version) return;
      return fetch(location.href, {cache: 'no-store'}).then(function (r) { return r.text(); }).then(function (html) {
        var page = new DOMParser().parseFromString(html, 'text/html');
        document.getElementById('content').replaceWith(page.getElementById('content'));
        version = page.body.dataset.version;
        document.title = page.title;
      });
    }).catch(function () {});
  }, 2000);
})();
)";

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

std::string summary(const ReportContext& context) {
  const StudyView& study = context.study;
  if (study.trials.empty()) {
    return "<p class=\"summary\">The study has no trials yet: the plots appear once trials arrive.</p>";
  }
  std::map<TrialState, std::size_t> counts;
  for (const FrozenTrial& trial : study.trials) ++counts[trial.state];
  std::string text = format_count(study.trials.size()) + " trials:";
  bool first = true;
  for (const auto& [state, count] : counts) {
    text += std::string(first ? " " : ", ") + format_count(count) + " " + to_string(state);
    first = false;
  }
  text += ".";
  if (const FrozenTrial* best = context.best(); best && study.directions.size() == 1) {
    text += " Best value " + format_number(best->values[0]) + " (trial " + std::to_string(best->number) + ").";
  } else if (!study.pareto_front.empty()) {
    text += " " + format_count(study.pareto_front.size()) + " trials on the Pareto front.";
  }
  std::string html = "<p class=\"summary\">" + escape_html(text) + "</p>";
  if (context.complete.empty()) {
    html += note_paragraph("No trial has completed with a finite value yet, so there is nothing to plot against the "
                           "parameters; the history shows every trial's state.");
  }
  if (context.any_hybrid) {
    std::map<std::string, std::size_t> methods;
    for (const HybridRecord& hybrid : context.hybrid) {
      if (hybrid.method) ++methods[*hybrid.method];
    }
    std::string list;
    for (const auto& [method, count] : methods) list += (list.empty() ? "" : ", ") + method + " (" + format_count(count) + ")";
    html += "<p>Hybrid search: random starts refined by hypergradients" +
            (list.empty() ? std::string() : escape_html("; methods: " + list)) + ".</p>";
  }
  return html;
}

}  // namespace

std::string html_document(const std::string& title, const std::string& content, const PageFrame& frame) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<title>" + escape_html(title) + "</title><style>" + kStyle + "</style></head>";
  html += frame.live ? "<body data-version-url=\"" + escape_html(frame.live->version_url) + "\" data-version=\"" +
                           escape_html(frame.live->version) + "\">"
                     : "<body>";
  html += "<main id=\"content\">" + content + "</main><footer>" + escape_html(frame.source) +
          (frame.live ? " · updates itself while trials arrive" : "") + "</footer>";
  if (frame.live) html += std::string("<script>") + kLiveScript + "</script>";
  return html + "</body></html>\n";
}

std::string render_report(const StudyView& study, const ReportOptions& options, const PageFrame& frame) {
  const auto start = std::chrono::steady_clock::now();
  const ReportContext context = make_report_context(study, options);
  std::vector<Section> sections;
  for (auto make : {history_section, intermediate_section, pareto_section, importance_section, slice_section,
                    parallel_section, vector_strip_section, hypergradient_norm_section, exploit_tree_section,
                    best_trial_section, study_attributes_section}) {
    if (auto section = make(context)) sections.push_back(std::move(*section));
  }
  std::string navigation;
  for (const Section& section : sections) {
    navigation += "<a href=\"#" + section.id + "\">" + escape_html(section.title) + "</a>";
  }
  std::string content = "<header><h1>Study " + escape_html(study.name) + "</h1><nav>" +
                        (frame.up_link ? "<a href=\"" + escape_html(*frame.up_link) + "\">all studies</a>" : "") +
                        navigation + "</nav></header>" + summary(context);
  for (const Section& section : sections) {
    content += "<section id=\"" + section.id + "\"><h2>" + escape_html(section.title) + "</h2>" + section.html +
               "</section>";
  }
  const double milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  PageFrame footer = frame;
  footer.source = frame.source + " · generated " + utc_now() + " in " + format_number(milliseconds) + " ms";
  return html_document("hpo · " + study.name, content, footer);
}

std::string study_version(const std::vector<FrozenTrial>& trials) {
  std::size_t finished = 0, reports = 0;
  for (const FrozenTrial& trial : trials) {
    finished += is_finished(trial.state);
    reports += trial.intermediate_values.size();
  }
  return std::to_string(trials.size()) + "-" + std::to_string(finished) + "-" + std::to_string(reports);
}

}  // namespace hpo::cli
