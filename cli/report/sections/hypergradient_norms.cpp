// The hypergradient norm per hyper-step of each hybrid trial, coloured by how the trial
// started (startup, explore, exploit).
#include <cmath>

#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"
#include "report/selection.hpp"

namespace hpo::cli {

std::optional<Section> hypergradient_norm_section(const ReportContext& context) {
  const StudyView& study = context.study;
  std::vector<const FrozenTrial*> with_norms;
  for (const FrozenTrial& trial : study.trials) {
    if (!context.hybrid_of(trial).hypergradient_norms.empty()) with_norms.push_back(&trial);
  }
  if (with_norms.empty()) return std::nullopt;
  const Selection selection = select_trials(with_norms, context.options.max_lines(), study.directions[0],
                                            "trials with hypergradients");
  std::vector<double> norms;
  std::size_t longest = 1;
  for (const FrozenTrial* trial : selection.trials) {
    const auto& trial_norms = context.hybrid_of(*trial).hypergradient_norms;
    norms.insert(norms.end(), trial_norms.begin(), trial_norms.end());
    longest = std::max(longest, trial_norms.size());
  }
  Chart chart("hypergradient-norms", Scale::linear(1, static_cast<double>(longest)), Scale::fit(norms), "hyper-step",
              "hypergradient norm");
  for (const FrozenTrial* trial : selection.trials) {
    const HybridRecord& hybrid = context.hybrid_of(*trial);
    Points line;
    for (std::size_t i = 0; i < hybrid.hypergradient_norms.size(); ++i) {
      const double norm = hybrid.hypergradient_norms[i];
      if (std::isfinite(norm)) line.push_back({chart.x(static_cast<double>(i + 1)), chart.y(norm)});
    }
    std::string title = trial_tooltip(*trial) + (hybrid.mode ? ", " + *hybrid.mode : "") +
                        (hybrid.method ? ", method " + *hybrid.method : "");
    std::string mark = "<g class=\"norm-line\" data-number=\"" + std::to_string(trial->number) + "\"><title>" +
                       escape_html(title) + "</title>" +
                       svg_polyline(line, "stroke=\"" + std::string(mode_colour(hybrid.mode)) +
                                              "\" stroke-opacity=\"0.6\" stroke-width=\"1.2\"");
    if (line.size() == 1) mark += svg_circle(line[0].first, line[0].second, 2.5, "fill=\"" + std::string(mode_colour(hybrid.mode)) + "\"");
    chart.add(mark + "</g>");
  }
  std::string html = legend({{colors::kRunning, "startup"}, {colors::kComplete, "explore"}, {colors::kBest, "exploit"}}) +
                     chart.render() + note_paragraph(selection.note);
  return Section{"hypergradient-norms", "Hypergradient norm per hyper-step", html};
}

}  // namespace hpo::cli
