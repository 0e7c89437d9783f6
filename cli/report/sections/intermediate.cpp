// Intermediate values (for the hybrid sampler: the validation loss after each hyper-step),
// one line per trial; pruned trials end in a cross where they were stopped.
#include <cmath>

#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"
#include "report/selection.hpp"

namespace hpo::cli {

std::optional<Section> intermediate_section(const ReportContext& context) {
  const StudyView& study = context.study;
  std::vector<const FrozenTrial*> reporting;
  for (const FrozenTrial& trial : study.trials) {
    if (!trial.intermediate_values.empty()) reporting.push_back(&trial);
  }
  if (reporting.empty()) return std::nullopt;
  const Selection selection =
      select_trials(reporting, context.options.max_lines(), study.directions[0], "trials with intermediate values");

  std::vector<double> values;
  double last_step = 1;
  for (const FrozenTrial* trial : selection.trials) {
    for (const auto& [step, value] : trial->intermediate_values) {
      values.push_back(value);
      last_step = std::max(last_step, static_cast<double>(step));
    }
  }
  Chart chart("intermediate-values", Scale::linear(0, last_step), Scale::fit(values), "step (hyper-step)",
              "intermediate value");
  const FrozenTrial* best = context.best();
  std::string best_line;
  std::size_t n_pruned = 0;
  for (const FrozenTrial* trial : selection.trials) {
    Points line;
    for (const auto& [step, value] : trial->intermediate_values) {
      if (std::isfinite(value)) line.push_back({chart.x(static_cast<double>(step)), chart.y(value)});
    }
    if (line.empty()) continue;
    const std::string number = std::to_string(trial->number);
    if (trial == best) {
      best_line = svg_polyline(line, "class=\"trial-line best\" data-number=\"" + number + "\" stroke=\"" +
                                         colors::kBest + "\" stroke-width=\"2.5\"");
      continue;
    }
    const std::string colour = state_colour(trial->state);
    std::string mark = "<g class=\"trial-line state-" + to_string(trial->state) + "\" data-number=\"" + number +
                       "\"><title>" + escape_html(trial_tooltip(*trial)) + "</title>" +
                       svg_polyline(line, "stroke=\"" + colour + "\" stroke-opacity=\"0.55\" stroke-width=\"1.2\"");
    if (trial->state == TrialState::Pruned) {
      ++n_pruned;
      mark += svg_cross(line.back().first, line.back().second, 4, "stroke=\"" + colour + "\" stroke-width=\"2\"");
    }
    chart.add(mark + "</g>");
  }
  chart.add(best_line);
  std::string html = legend({{colors::kComplete, "complete"},
                             {colors::kPruned, "pruned (× where it was stopped)"},
                             {colors::kFail, "failed"},
                             {colors::kRunning, "running"},
                             {colors::kBest, "best trial"}}) +
                     chart.render() + note_paragraph(selection.note);
  html += "<p>" + format_count(reporting.size()) + " trials reported intermediate values; " +
          format_count(n_pruned) + " of those drawn were pruned.</p>";
  return Section{"intermediate", "Intermediate values", html};
}

}  // namespace hpo::cli
