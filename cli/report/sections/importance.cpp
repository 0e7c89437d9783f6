// Parameter importances as horizontal bars, with the estimator named.
#include <algorithm>

#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"

namespace hpo::cli {

namespace {

constexpr std::size_t kMaxBars = 20;
// Below this many trials a few bins of few trials each explain much by chance.
constexpr std::size_t kRoughBelow = 30;

}  // namespace

std::optional<Section> importance_section(const ReportContext& context) {
  if (context.layout.distributions.empty()) return std::nullopt;
  std::string html = "<p>Estimator: " + escape_html(kImportanceEstimator) + ". Computed from " +
                     format_count(context.complete.size()) + " complete trials" +
                     (context.study.directions.size() > 1 ? ", for objective 0" : "") + ".</p>";
  if (!context.complete.empty() && context.complete.size() < kRoughBelow) {
    html += note_paragraph("With " + std::to_string(context.complete.size()) +
                           " complete trials this is a rough estimate: one parameter among many can line up with the "
                           "ranks by chance, and parameters that drift together over the study (as refined ones do) "
                           "share the credit.");
  }
  if (context.importances.empty()) {
    return Section{"importance", "Parameter importances",
                   html + note_paragraph("Needs at least 4 complete trials that have the parameter.")};
  }
  std::vector<const ParamImportance*> bars;
  for (const ParamImportance& importance : context.importances) {
    if (bars.size() < kMaxBars && importance.omega_squared > 0) bars.push_back(&importance);
  }
  const std::size_t n_silent = context.importances.size() - bars.size();
  if (bars.empty()) {
    return Section{"importance", "Parameter importances",
                   html + note_paragraph("No parameter explains the objective beyond chance (every ω² is 0).")};
  }
  const int row = 22, label_width = 190, bar_width = 460, width = label_width + bar_width + 120;
  const int height = row * static_cast<int>(bars.size()) + 8;
  std::string svg = "<svg id=\"importance-bars\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(width) + "\" height=\"" + std::to_string(height) + "\">";
  const double largest = bars.front()->share;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const ParamImportance& bar = *bars[i];
    const double y = 4 + static_cast<double>(i) * row;
    const double length = std::max(1.0, bar_width * bar.share / largest);
    svg += svg_text(label_width - 6, y + 15, bar.param, "class=\"tick\" text-anchor=\"end\"");
    svg += "<rect class=\"importance-bar\" data-param=\"" + escape_html(bar.param) + "\" x=\"" +
           std::to_string(label_width) + "\" y=\"" + format_coord(y + 3) + "\" width=\"" + format_coord(length) +
           "\" height=\"" + std::to_string(row - 6) + "\" fill=\"" + colors::kComplete + "\"><title>" +
           escape_html(bar.param + ": share " + format_number(bar.share) + ", ω² " + format_number(bar.omega_squared) +
                       " over " + std::to_string(bar.n_trials) + " trials") +
           "</title></rect>";
    svg += svg_text(label_width + length + 6, y + 15,
                    format_number(100 * bar.share) + "% (ω² " + format_number(bar.omega_squared) + ")",
                    "class=\"tick\"");
  }
  html += svg + "</svg>";
  if (n_silent > 0) {
    html += note_paragraph("Not shown: " + format_count(n_silent) + " of " + format_count(context.importances.size()) +
                           " parameters (" + (context.importances.size() > kMaxBars ? "beyond the top 20, or " : "") +
                           "ω² of 0: no effect beyond chance).");
  }
  return Section{"importance", "Parameter importances", html};
}

}  // namespace hpo::cli
