// Vector hyperparameters (params name[0..n-1]): one heat strip per trial, one cell per
// element, instead of n separate plots. Hybrid trials show their initial values as a thin
// band above the refined ones.
#include <algorithm>
#include <cmath>

#include "report/chart.hpp"
#include "report/html.hpp"
#include "report/sections/sections.hpp"

namespace hpo::cli {

namespace {

constexpr int kLabelWidth = 120, kRowHeight = 12, kInitialHeight = 4, kGap = 3, kStripWidth = 600;

// Where `value` lies in the distribution's range, 0 to 1 (in log space for a log one).
double position_in_range(const Distribution& distribution, double value) {
  double low = 0, high = 1;
  bool log = false;
  if (const auto* f = std::get_if<FloatDistribution>(&distribution)) {
    low = f->low, high = f->high, log = f->log;
  } else if (const auto* i = std::get_if<IntDistribution>(&distribution)) {
    low = static_cast<double>(i->low), high = static_cast<double>(i->high), log = i->log;
  } else {
    high = std::max<double>(1, static_cast<double>(std::get<CategoricalDistribution>(distribution).choices.size() - 1));
  }
  if (log && value > 0 && low > 0) return (std::log(value) - std::log(low)) / (std::log(high) - std::log(low));
  return high > low ? (value - low) / (high - low) : 0.5;
}

std::string range_label(const Distribution& distribution) {
  if (const auto* f = std::get_if<FloatDistribution>(&distribution)) {
    return format_number(f->low) + " … " + format_number(f->high) + (f->log ? " (log scale)" : "");
  }
  if (const auto* i = std::get_if<IntDistribution>(&distribution)) {
    return std::to_string(i->low) + " … " + std::to_string(i->high);
  }
  return "first … last choice";
}

std::string colour_bar(const std::string& id) {
  std::string stops;
  for (int i = 0; i <= 4; ++i) {
    stops += "<stop offset=\"" + std::to_string(i * 25) + "%\" stop-color=\"" + colors::ramp(i / 4.0) + "\"/>";
  }
  return "<svg class=\"colour-bar\" xmlns=\"http://www.w3.org/2000/svg\" width=\"160\" height=\"12\"><defs>"
         "<linearGradient id=\"" + id + "\">" + stops + "</linearGradient></defs>"
         "<rect width=\"160\" height=\"12\" fill=\"url(#" + id + ")\"/></svg>";
}

std::string strip(const ReportContext& context, const VectorParam& vector, std::size_t index) {
  const Distribution& distribution = context.layout.distributions.at(vector.elements.front());
  const std::size_t n = vector.elements.size();
  const double cell = std::clamp(static_cast<double>(kStripWidth) / static_cast<double>(n), 1.0, 14.0);
  std::vector<const FrozenTrial*> rows;
  for (const FrozenTrial* trial : context.complete) {
    if (rows.size() == context.options.max_strip_rows()) break;
    if (trial->params.count(vector.elements.front())) rows.push_back(trial);
  }
  std::size_t n_having = 0;
  for (const FrozenTrial* trial : context.complete) n_having += trial->params.count(vector.elements.front());
  const int row_pitch = kRowHeight + kInitialHeight + kGap;
  const int width = kLabelWidth + static_cast<int>(std::ceil(cell * static_cast<double>(n))) + 4;
  const int height = row_pitch * static_cast<int>(rows.size()) + 4;
  std::string svg = "<svg id=\"strip-" + std::to_string(index) + "\" class=\"chart strip\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(width) + "\" height=\"" + std::to_string(height) + "\">";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const FrozenTrial& trial = *rows[r];
    const HybridRecord& hybrid = context.hybrid_of(trial);
    const double top = 2 + static_cast<double>(r) * row_pitch;
    svg += "<g class=\"strip-row\" data-number=\"" + std::to_string(trial.number) + "\">";
    svg += svg_text(kLabelWidth - 6, top + kInitialHeight + kRowHeight - 2,
                    "#" + std::to_string(trial.number) + "  " + format_number(trial.values[0]),
                    "class=\"tick small\" text-anchor=\"end\"");
    for (std::size_t e = 0; e < n; ++e) {
      const double x = kLabelWidth + cell * static_cast<double>(e);
      const double value = param_position(trial, vector.elements[e]);
      if (std::isnan(value)) continue;
      const auto initial = hybrid.initial_params.find(vector.elements[e]);
      std::string tooltip = vector.elements[e] + " = " + format_number(value);
      if (initial != hybrid.initial_params.end()) {
        tooltip += " (initial " + format_number(initial->second) + ")";
        svg += "<rect x=\"" + format_coord(x) + "\" y=\"" + format_coord(top) + "\" width=\"" + format_coord(cell) +
               "\" height=\"" + std::to_string(kInitialHeight) + "\" fill=\"" +
               colors::ramp(position_in_range(distribution, initial->second)) + "\"/>";
      }
      svg += "<rect x=\"" + format_coord(x) + "\" y=\"" + format_coord(top + kInitialHeight) + "\" width=\"" +
             format_coord(cell) + "\" height=\"" + std::to_string(kRowHeight) + "\" fill=\"" +
             colors::ramp(position_in_range(distribution, value)) + "\"><title>" + escape_html(tooltip) +
             "</title></rect>";
    }
    svg += "</g>";
  }
  std::string html = "<h3>" + escape_html(vector.name) + "[0.." + std::to_string(n - 1) + "]</h3>";
  html += "<p class=\"legend\">" + colour_bar("strip-gradient-" + std::to_string(index)) + " " +
          escape_html(range_label(distribution)) + ". Rows: complete trials, best first, labelled with number and "
          "value; cells: elements 0 to " + std::to_string(n - 1) + ".</p>";
  html += svg + "</svg>";
  if (rows.size() < n_having) {
    html += note_paragraph("Showing the " + format_count(rows.size()) + " best of " + format_count(n_having) +
                           " complete trials.");
  }
  return html;
}

}  // namespace

std::optional<Section> vector_strip_section(const ReportContext& context) {
  if (context.layout.vectors.empty() || context.complete.empty()) return std::nullopt;
  std::string html;
  if (context.any_hybrid) {
    html += "<p>For hybrid trials a thin band above each strip shows the value each element started from; the "
            "strip below it is the refined value.</p>";
  }
  for (std::size_t i = 0; i < context.layout.vectors.size(); ++i) html += strip(context, context.layout.vectors[i], i);
  return Section{"vectors", "Vector hyperparameters", html};
}

}  // namespace hpo::cli
