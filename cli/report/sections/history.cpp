// Optimization history: every trial's value against its number and against wall time,
// states marked, with the best value so far.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"

namespace hpo::cli {

namespace {

constexpr std::size_t kMaxObjectivePlots = 4;

std::optional<double> plotted_value(const FrozenTrial& trial, std::size_t objective) {
  const bool has_value = trial.state == TrialState::Complete || trial.state == TrialState::Pruned;
  if (!has_value || trial.values.size() <= objective || !std::isfinite(trial.values[objective])) return std::nullopt;
  return trial.values[objective];
}

// One mark per trial: a dot at its value, or — without a value (failed, running, waiting,
// diverged) — a cross or ring on the bottom edge.
std::string trial_mark(const Chart& chart, const FrozenTrial& trial, double x_value, std::optional<double> value,
                       bool with_tooltip) {
  const double bottom = chart.bottom_edge();
  const std::string tooltip = with_tooltip ? trial_tooltip(trial) : "";
  const std::string attributes = "class=\"trial-point state-" + to_string(trial.state) + "\" data-number=\"" +
                                 std::to_string(trial.number) + "\"";
  const std::string colour = state_colour(trial.state);
  const double px = chart.x(x_value);
  if (value) return svg_circle(px, chart.y(*value), 3.2, attributes + " fill=\"" + colour + "\"", tooltip);
  if (trial.state == TrialState::Running || trial.state == TrialState::Waiting) {
    return svg_circle(px, bottom, 3.2, attributes + " fill=\"none\" stroke=\"" + colour + "\"", tooltip);
  }
  return svg_cross(px, bottom, 3.5, attributes + " stroke=\"" + colour + "\" stroke-width=\"1.6\"", tooltip);
}

// The best value so far as a step line through (x, value) pairs in x order.
std::string best_so_far_line(const Chart& chart, std::vector<std::pair<double, double>> points,
                             StudyDirection direction, double x_end) {
  std::sort(points.begin(), points.end());
  Points line;
  std::optional<double> best;
  for (const auto& [x, value] : points) {
    if (best && !is_better(value, *best, direction)) continue;
    if (best) line.push_back({chart.x(x), chart.y(*best)});
    best = value;
    line.push_back({chart.x(x), chart.y(value)});
  }
  if (!best) return "";
  line.push_back({chart.x(x_end), chart.y(*best)});
  return svg_polyline(line, "class=\"best-line\" stroke=\"" + std::string(colors::kBest) + "\" stroke-width=\"2\"");
}

struct WallClock {
  TimePoint origin;
  double seconds_per_unit;
  std::string unit;
};

std::optional<TimePoint> finish_or_start(const FrozenTrial& trial) {
  return trial.datetime_complete ? trial.datetime_complete : trial.datetime_start;
}

std::optional<WallClock> wall_clock(const std::vector<FrozenTrial>& trials) {
  std::optional<TimePoint> first, last;
  for (const FrozenTrial& trial : trials) {
    if (trial.datetime_start && (!first || *trial.datetime_start < *first)) first = trial.datetime_start;
    const auto time = finish_or_start(trial);
    if (time && (!last || *time > *last)) last = time;
  }
  if (!first) return std::nullopt;
  const double span = std::chrono::duration<double>(*last - *first).count();
  if (span < 120) return WallClock{*first, 1, "seconds"};
  if (span < 7200) return WallClock{*first, 60, "minutes"};
  return WallClock{*first, 3600, "hours"};
}

double elapsed(const WallClock& clock, TimePoint time) {
  return std::chrono::duration<double>(time - clock.origin).count() / clock.seconds_per_unit;
}

std::string history_charts(const ReportContext& context, std::size_t objective) {
  const StudyView& study = context.study;
  const bool single = study.directions.size() == 1;
  const std::string suffix = objective == 0 ? "" : "-" + std::to_string(objective);
  std::vector<double> values;
  for (const FrozenTrial& trial : study.trials) {
    if (const auto value = plotted_value(trial, objective)) values.push_back(*value);
  }
  const Scale y = Scale::fit(values);
  const std::string y_title = objective_title(study, objective);
  const double max_number = study.trials.empty() ? 1 : study.trials.back().number;
  const bool with_tooltips = study.trials.size() <= context.options.max_tooltips();

  Chart by_number("history-by-number" + suffix, Scale::linear(0, max_number), y, "trial number", y_title);
  std::vector<std::pair<double, double>> best_points;
  for (const FrozenTrial& trial : study.trials) {
    const auto value = plotted_value(trial, objective);
    by_number.add(trial_mark(by_number, trial, trial.number, value, with_tooltips));
    if (value && trial.state == TrialState::Complete) best_points.push_back({trial.number, *value});
  }
  if (single) by_number.add(best_so_far_line(by_number, best_points, study.directions[0], max_number));

  std::string html = by_number.render();
  const auto clock = wall_clock(study.trials);
  if (!clock) return html;
  double end = 0;
  for (const FrozenTrial& trial : study.trials) {
    if (const auto time = finish_or_start(trial)) end = std::max(end, elapsed(*clock, *time));
  }
  Chart by_time("history-by-time" + suffix, Scale::linear(0, end), y,
                "wall time since the first trial started (" + clock->unit + ")", y_title);
  best_points.clear();
  for (const FrozenTrial& trial : study.trials) {
    const auto time = finish_or_start(trial);
    if (!time) continue;
    const auto value = plotted_value(trial, objective);
    by_time.add(trial_mark(by_time, trial, elapsed(*clock, *time), value, with_tooltips));
    if (value && trial.state == TrialState::Complete) best_points.push_back({elapsed(*clock, *time), *value});
  }
  if (single) by_time.add(best_so_far_line(by_time, best_points, study.directions[0], end));
  return html + by_time.render();
}

}  // namespace

std::optional<Section> history_section(const ReportContext& context) {
  const StudyView& study = context.study;
  if (study.trials.empty()) return std::nullopt;
  std::string html = legend({{colors::kComplete, "complete"},
                             {colors::kPruned, "pruned (last reported value)"},
                             {colors::kFail, "failed (× on the bottom edge)"},
                             {colors::kRunning, "running or waiting (○ on the bottom edge)"},
                             {colors::kBest, "best so far"}});
  const std::size_t n_plots = std::min(study.directions.size(), kMaxObjectivePlots);
  for (std::size_t objective = 0; objective < n_plots; ++objective) {
    html += "<div class=\"row\">" + history_charts(context, objective) + "</div>";
  }
  if (study.trials.size() > context.options.max_tooltips()) {
    html += note_paragraph("Every trial is drawn; above " + format_count(context.options.max_tooltips()) +
                           " trials the points have no tooltips, to keep the page light.");
  }
  if (n_plots < study.directions.size()) {
    html += note_paragraph("Showing the first " + std::to_string(n_plots) + " of " +
                           std::to_string(study.directions.size()) + " objectives.");
  }
  if (study.directions.size() > 1) html += note_paragraph("No best-so-far line: with several objectives the best trials form the Pareto front.");
  return Section{"history", "Optimization history", html};
}

}  // namespace hpo::cli
