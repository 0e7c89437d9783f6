// Slice plots: the objective against each of the most important parameters; for hybrid
// trials an arrow from the initial value to the refined one, at the trial's value.
#include <cmath>

#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"
#include "report/selection.hpp"

namespace hpo::cli {

namespace {

constexpr double kMinArrowPixels = 1.5;

struct Slice {
  std::string html;
  std::size_t n_arrows = 0;
};

Slice slice_chart(const ReportContext& context, const std::string& param, std::size_t index, const Scale& y) {
  const StudyView& study = context.study;
  std::vector<const FrozenTrial*> having;
  std::vector<const FrozenTrial*> refined;
  for (const FrozenTrial* trial : context.complete) {
    if (std::isnan(param_position(*trial, param))) continue;
    having.push_back(trial);
    if (context.hybrid_of(*trial).initial_params.count(param)) refined.push_back(trial);
  }
  const Distribution& distribution = context.layout.distributions.at(param);
  std::string title = param;
  for (const ParamImportance& importance : context.importances) {
    if (importance.param == param) title += " (importance " + format_number(100 * importance.share) + "%)";
  }
  Chart chart("slice-" + std::to_string(index), param_scale(distribution), y, title, objective_title(study, 0),
              ChartSize{380, 260, 60, 42});
  const Selection points = select_trials(having, context.options.max_points(), study.directions[0], "trials");
  const double last_number = std::max(1, study.trials.back().number);
  for (const FrozenTrial* trial : points.trials) {
    chart.add(svg_circle(chart.x(param_position(*trial, param)), chart.y(trial->values[0]), 3,
                         "class=\"slice-point\" fill=\"" + colors::ramp(trial->number / last_number) +
                             "\" fill-opacity=\"0.8\"",
                         trial_tooltip(*trial) + ", " + param + " = " + format_number(param_position(*trial, param))));
  }
  Slice slice;
  const Selection arrows = select_trials(refined, context.options.max_lines(), study.directions[0], "arrows");
  for (const FrozenTrial* trial : arrows.trials) {
    const double from = chart.x(context.hybrid_of(*trial).initial_params.at(param));
    const double to = chart.x(param_position(*trial, param));
    if (std::abs(to - from) < kMinArrowPixels) continue;
    const double py = chart.y(trial->values[0]);
    chart.add(svg_line(from, py, to, py, "class=\"refinement-arrow\" stroke=\"#444\" stroke-opacity=\"0.8\" stroke-width=\"1.3\" marker-end=\"url(#" +
                                             chart.arrow_marker() + ")\""));
    ++slice.n_arrows;
  }
  slice.html = "<div>" + chart.render() + note_paragraph(points.note) + note_paragraph(arrows.note) + "</div>";
  return slice;
}

}  // namespace

std::optional<Section> slice_section(const ReportContext& context) {
  if (context.complete.empty() || context.layout.distributions.empty()) return std::nullopt;
  std::vector<double> values;
  for (const FrozenTrial* trial : context.complete) values.push_back(trial->values[0]);
  const Scale y = Scale::fit(values);
  std::string charts;
  std::size_t n_arrows = 0;
  const std::vector<std::string> params = context.top_params(context.options.n_slices());
  for (std::size_t i = 0; i < params.size(); ++i) {
    Slice slice = slice_chart(context, params[i], i, y);
    charts += slice.html;
    n_arrows += slice.n_arrows;
  }
  std::string html = "<p>Complete trials, coloured by trial number (dark: early, yellow: late)";
  if (n_arrows > 0) {
    html += "; arrows: hybrid trials, from the value the trial started with to the value its hypergradients "
            "refined it to (the stored param), at the trial's final value";
  }
  html += ". A vector hyperparameter appears here with its most important element only.</p>";
  return Section{"slices", "Slice plots", html + "<div class=\"row\">" + charts + "</div>"};
}

}  // namespace hpo::cli
