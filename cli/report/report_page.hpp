#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hpo/frozen_trial.hpp"
#include "report/report_context.hpp"
#include "report/study_view.hpp"

namespace hpo::cli {

// A page the dashboard serves: it asks `version_url` every two seconds and, when the
// answer is no longer `version`, fetches itself again and swaps in the new content.
struct LiveUpdate {
  std::string version_url;
  std::string version;
};

// How a page sits in its surroundings.
struct PageFrame {
  std::string source;                // where the data came from, for the footer
  std::optional<LiveUpdate> live;    // only for pages the dashboard serves
  std::optional<std::string> up_link;  // a link back to the list of studies
};

// One self-contained HTML document (inline style; a script only with `frame.live`).
std::string html_document(const std::string& title, const std::string& content, const PageFrame& frame);

// The whole report of one study: every plot that its data allows, in one page that needs
// nothing from the network.
std::string render_report(const StudyView& study, const ReportOptions& options, const PageFrame& frame);

// Changes whenever a trial is added, changes state or reports a value.
std::string study_version(const std::vector<FrozenTrial>& trials);

}  // namespace hpo::cli
