#pragma once

#include <string>
#include <utility>
#include <vector>

#include "report/scale.hpp"

namespace hpo::cli {

// Colours shared by every plot, so that a state looks the same everywhere.
namespace colors {
inline constexpr const char* kComplete = "#1f77b4";
inline constexpr const char* kPruned = "#ff7f0e";
inline constexpr const char* kFail = "#d62728";
inline constexpr const char* kRunning = "#7f7f7f";
inline constexpr const char* kBest = "#2ca02c";
// A perceptually ordered ramp (viridis) for t in [0, 1]; t outside is clamped.
std::string ramp(double t);
}  // namespace colors

struct ChartSize {
  int width = 760;
  int height = 300;
  int left = 68;  // room for the y tick labels
  int bottom = 46;
};

using Points = std::vector<std::pair<double, double>>;

// One SVG plot: axes with ticks and titles around a plot area; the caller adds marks in
// pixel coordinates through x() and y().
class Chart {
 public:
  Chart(std::string id, Scale x, Scale y, std::string x_title, std::string y_title, ChartSize size = {});

  double x(double value) const { return x_(value); }
  double y(double value) const { return y_(value); }
  // Where marks for trials without a value go.
  double bottom_edge() const { return size_.height - size_.bottom; }
  // Marks drawn inside the plot area (clipped to it, with room for markers at the edge).
  void add(const std::string& markup) { marks_ += markup; }
  // An arrowhead for marker-end="url(#...)".
  std::string arrow_marker() const { return id_ + "-arrow"; }
  const std::string& id() const { return id_; }
  std::string render() const;

 private:
  std::string id_;
  Scale x_, y_;
  std::string x_title_, y_title_;
  ChartSize size_;
  std::string marks_;
};

// Small builders for the marks; `title` becomes a hover tooltip.
std::string svg_circle(double cx, double cy, double r, const std::string& attributes,
                       const std::string& title = "");
std::string svg_cross(double cx, double cy, double r, const std::string& attributes,
                      const std::string& title = "");
std::string svg_polyline(const Points& points, const std::string& attributes);
std::string svg_line(double x1, double y1, double x2, double y2, const std::string& attributes);
std::string svg_text(double x, double y, const std::string& text, const std::string& attributes);

}  // namespace hpo::cli
