// The Pareto front of a multi-objective study, on the first two objectives.
#include <algorithm>
#include <set>

#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"
#include "report/selection.hpp"

namespace hpo::cli {

std::optional<Section> pareto_section(const ReportContext& context) {
  const StudyView& study = context.study;
  if (study.directions.size() < 2 || context.complete.empty()) return std::nullopt;
  const std::set<int> front(study.pareto_front.begin(), study.pareto_front.end());
  std::vector<const FrozenTrial*> others, front_trials;
  for (const FrozenTrial* trial : context.complete) (front.count(trial->number) ? front_trials : others).push_back(trial);
  const Selection selection = select_trials(others, context.options.max_points(), study.directions[0],
                                            "trials off the front");
  std::vector<double> xs, ys;
  for (const FrozenTrial* trial : context.complete) {
    xs.push_back(trial->values[0]);
    ys.push_back(trial->values[1]);
  }
  Chart chart("pareto-front", Scale::fit(xs), Scale::fit(ys), objective_title(study, 0), objective_title(study, 1));
  for (const FrozenTrial* trial : selection.trials) {
    chart.add(svg_circle(chart.x(trial->values[0]), chart.y(trial->values[1]), 3,
                         "class=\"pareto-other\" fill=\"" + std::string(colors::kComplete) + "\" fill-opacity=\"0.5\"",
                         trial_tooltip(*trial)));
  }
  std::sort(front_trials.begin(), front_trials.end(),
            [](const FrozenTrial* a, const FrozenTrial* b) { return a->values[0] < b->values[0]; });
  Points line;
  for (const FrozenTrial* trial : front_trials) line.push_back({chart.x(trial->values[0]), chart.y(trial->values[1])});
  if (study.directions.size() == 2) {
    chart.add(svg_polyline(line, "stroke=\"" + std::string(colors::kFail) + "\" stroke-width=\"1.5\""));
  }
  for (std::size_t i = 0; i < front_trials.size(); ++i) {
    chart.add(svg_circle(line[i].first, line[i].second, 4.5,
                         "class=\"pareto-point\" fill=\"" + std::string(colors::kFail) + "\"",
                         trial_tooltip(*front_trials[i])));
  }
  std::string html = legend({{colors::kFail, "Pareto-optimal"}, {colors::kComplete, "dominated"}}) + chart.render() +
                     note_paragraph(selection.note);
  html += "<p>" + format_count(front_trials.size()) + " Pareto-optimal trials of " +
          format_count(context.complete.size()) + " complete ones.</p>";
  if (study.directions.size() > 2) {
    html += note_paragraph("The front is taken over all " + std::to_string(study.directions.size()) +
                           " objectives and drawn on the first two.");
  }
  return Section{"pareto", "Pareto front", html};
}

}  // namespace hpo::cli
