#include "report/chart.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "report/html.hpp"

namespace hpo::cli {

namespace colors {

std::string ramp(double t) {
  static constexpr std::array<std::array<double, 3>, 5> stops = {{
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
  t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
  const double position = t * (stops.size() - 1);
  const std::size_t i = std::min<std::size_t>(static_cast<std::size_t>(position), stops.size() - 2);
  const double f = position - static_cast<double>(i);
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x",
                static_cast<int>(std::lround(stops[i][0] + f * (stops[i + 1][0] - stops[i][0]))),
                static_cast<int>(std::lround(stops[i][1] + f * (stops[i + 1][1] - stops[i][1]))),
                static_cast<int>(std::lround(stops[i][2] + f * (stops[i + 1][2] - stops[i][2]))));
  return buffer;
}

}  // namespace colors

namespace {

constexpr int kTop = 12;
constexpr int kRight = 16;
constexpr int kEdgeRoom = 6;  // markers on the plot area's edge stay whole

std::string title_element(const std::string& title) {
  return title.empty() ? "" : "<title>" + escape_html(title) + "</title>";
}

}  // namespace

Chart::Chart(std::string id, Scale x, Scale y, std::string x_title, std::string y_title, ChartSize size)
    : id_(std::move(id)),
      x_(std::move(x)),
      y_(std::move(y)),
      x_title_(std::move(x_title)),
      y_title_(std::move(y_title)),
      size_(size) {
  x_.to_pixels(size_.left, size_.width - kRight);
  y_.to_pixels(size_.height - size_.bottom, kTop);
}

std::string Chart::render() const {
  const double left = size_.left, right = size_.width - kRight;
  const double top = kTop, bottom = size_.height - size_.bottom;
  std::string svg = "<svg id=\"" + escape_html(id_) + "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" " +
                    "width=\"" + std::to_string(size_.width) + "\" height=\"" + std::to_string(size_.height) +
                    "\" viewBox=\"0 0 " + std::to_string(size_.width) + ' ' + std::to_string(size_.height) + "\">";
  svg += "<defs><clipPath id=\"" + escape_html(id_) + "-clip\"><rect x=\"" + format_coord(left - kEdgeRoom) +
         "\" y=\"" + format_coord(top - kEdgeRoom) + "\" width=\"" + format_coord(right - left + 2 * kEdgeRoom) +
         "\" height=\"" + format_coord(bottom - top + 2 * kEdgeRoom) + "\"/></clipPath>" +
         "<marker id=\"" + escape_html(arrow_marker()) +
         "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" "
         "orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#555\"/></marker></defs>";
  svg += "<rect x=\"" + format_coord(left) + "\" y=\"" + format_coord(top) + "\" width=\"" +
         format_coord(right - left) + "\" height=\"" + format_coord(bottom - top) + "\" class=\"plot-area\"/>";
  for (const Tick& tick : x_.ticks()) {
    const double px = x_(tick.value);
    svg += svg_line(px, top, px, bottom, "class=\"grid\"");
    svg += svg_text(px, bottom + 15, tick.label, "class=\"tick\" text-anchor=\"middle\"");
  }
  for (const Tick& tick : y_.ticks()) {
    const double py = y_(tick.value);
    svg += svg_line(left, py, right, py, "class=\"grid\"");
    svg += svg_text(left - 5, py + 4, tick.label, "class=\"tick\" text-anchor=\"end\"");
  }
  svg += svg_text((left + right) / 2, size_.height - 8, x_title_, "class=\"axis-title\" text-anchor=\"middle\"");
  svg += "<text class=\"axis-title\" text-anchor=\"middle\" transform=\"translate(14," +
         format_coord((top + bottom) / 2) + ") rotate(-90)\">" + escape_html(y_title_) + "</text>";
  svg += "<g clip-path=\"url(#" + escape_html(id_) + "-clip)\">" + marks_ + "</g></svg>";
  return svg;
}

std::string svg_circle(double cx, double cy, double r, const std::string& attributes, const std::string& title) {
  return "<circle cx=\"" + format_coord(cx) + "\" cy=\"" + format_coord(cy) + "\" r=\"" + format_coord(r) + "\" " +
         attributes + ">" + title_element(title) + "</circle>";
}

std::string svg_cross(double cx, double cy, double r, const std::string& attributes, const std::string& title) {
  const std::string a = format_coord(cx - r), b = format_coord(cx + r);
  const std::string c = format_coord(cy - r), d = format_coord(cy + r);
  return "<path d=\"M" + a + ',' + c + 'L' + b + ',' + d + 'M' + a + ',' + d + 'L' + b + ',' + c + "\" " +
         attributes + ">" + title_element(title) + "</path>";
}

std::string svg_polyline(const Points& points, const std::string& attributes) {
  std::string coordinates;
  for (const auto& [px, py] : points) {
    if (!coordinates.empty()) coordinates += ' ';
    coordinates += format_coord(px) + ',' + format_coord(py);
  }
  return "<polyline points=\"" + coordinates + "\" fill=\"none\" " + attributes + "/>";
}

std::string svg_line(double x1, double y1, double x2, double y2, const std::string& attributes) {
  return "<line x1=\"" + format_coord(x1) + "\" y1=\"" + format_coord(y1) + "\" x2=\"" + format_coord(x2) +
         "\" y2=\"" + format_coord(y2) + "\" " + attributes + "/>";
}

std::string svg_text(double x, double y, const std::string& text, const std::string& attributes) {
  return "<text x=\"" + format_coord(x) + "\" y=\"" + format_coord(y) + "\" " + attributes + ">" +
         escape_html(text) + "</text>";
}

}  // namespace hpo::cli
