// Parallel coordinates: one line per complete trial across the most important parameters
// and the objective, coloured by rank.
#include <algorithm>
#include <cmath>
#include <map>

#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"
#include "report/selection.hpp"

namespace hpo::cli {

namespace {

constexpr int kWidth = 760, kHeight = 330, kTop = 16, kBottom = 270, kSide = 50;
constexpr std::size_t kMaxLabel = 16;

std::string short_label(const std::string& name) {
  return name.size() <= kMaxLabel ? name : name.substr(0, kMaxLabel - 1) + "…";
}

}  // namespace

std::optional<Section> parallel_section(const ReportContext& context) {
  if (context.complete.size() < 2 || context.layout.distributions.empty()) return std::nullopt;
  const std::vector<std::string> params = context.top_params(context.options.n_parallel_axes());
  std::vector<Scale> axes;
  for (const std::string& param : params) axes.push_back(param_scale(context.layout.distributions.at(param)));
  std::vector<double> values;
  for (const FrozenTrial* trial : context.complete) values.push_back(trial->values[0]);
  axes.push_back(Scale::fit(values));
  for (Scale& axis : axes) axis.to_pixels(kBottom, kTop);
  const double spacing = static_cast<double>(kWidth - 2 * kSide) / static_cast<double>(axes.size() - 1);
  const auto axis_x = [&](std::size_t i) { return kSide + spacing * static_cast<double>(i); };

  std::map<const FrozenTrial*, std::size_t> rank;
  for (std::size_t i = 0; i < context.complete.size(); ++i) rank[context.complete[i]] = i;
  Selection selection = select_trials(context.complete, context.options.max_lines(), context.study.directions[0],
                                      "complete trials");
  // Worst first, so that the best lines lie on top.
  std::sort(selection.trials.begin(), selection.trials.end(),
            [&](const FrozenTrial* a, const FrozenTrial* b) { return rank[a] > rank[b]; });

  std::string svg = "<svg id=\"parallel-coordinates\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(kWidth) + "\" height=\"" + std::to_string(kHeight) + "\">";
  const double n = static_cast<double>(std::max<std::size_t>(1, context.complete.size() - 1));
  for (const FrozenTrial* trial : selection.trials) {
    Points line;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const double position = param_position(*trial, params[i]);
      if (std::isnan(position)) break;
      line.push_back({axis_x(i), axes[i](position)});
    }
    if (line.size() != params.size()) continue;
    line.push_back({axis_x(params.size()), axes.back()(trial->values[0])});
    svg += "<g class=\"parallel-line\"><title>" + escape_html(trial_tooltip(*trial)) + "</title>" +
           svg_polyline(line, "stroke=\"" + colors::ramp(static_cast<double>(rank[trial]) / n) +
                                  "\" stroke-opacity=\"0.6\" stroke-width=\"1.2\"") +
           "</g>";
  }
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const double x = axis_x(i);
    svg += svg_line(x, kTop, x, kBottom, "class=\"axis\"");
    for (const Tick& tick : axes[i].ticks()) {
      svg += svg_text(x + 4, axes[i](tick.value) + 3, tick.label, "class=\"tick small\"");
    }
    const std::string name = i < params.size() ? params[i] : "objective";
    svg += svg_text(x, kBottom + 22 + static_cast<double>(i % 2) * 14, short_label(name),
                    "class=\"axis-title\" text-anchor=\"middle\"");
  }
  std::string html = "<p>Each line is a complete trial through its value of each parameter (the " +
                     std::to_string(params.size()) + " most important) and its objective value; colour by rank "
                     "(dark: best, yellow: worst). Trials missing one of these parameters are left out.</p>" +
                     svg + "</svg>" + note_paragraph(selection.note);
  return Section{"parallel", "Parallel coordinates", html};
}

}  // namespace hpo::cli
