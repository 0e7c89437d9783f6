#pragma once

#include <string>
#include <vector>

namespace hpo::cli {

struct Tick {
  double value;  // in the scale's domain
  std::string label;
};

// Maps a data domain onto pixels: linear, logarithmic or evenly spaced categories.
class Scale {
 public:
  // [low, high] with a small margin; a single value gets a window around it.
  static Scale linear(double low, double high);
  // Needs 0 < low; the margin is taken in log space.
  static Scale logarithmic(double low, double high);
  // Categories sit at 0, 1, ..., n-1.
  static Scale categories(std::vector<std::string> labels);
  // Linear, or logarithmic when `log_allowed`, every value is positive and they span at
  // least two decades (losses that diverge once would flatten everything else). Non-finite
  // values are ignored.
  static Scale fit(const std::vector<double>& values, bool log_allowed = true);

  // Where the domain's ends land: (left, right) for x, (bottom, top) for y.
  Scale& to_pixels(double first, double last);
  // Pixels; a value outside the domain (or non-positive on a log scale) lands at the
  // nearest end, so that it stays visible at the edge.
  double operator()(double value) const;
  std::vector<Tick> ticks() const;
  bool is_logarithmic() const { return kind_ == Kind::Log; }
  bool contains(double value) const;

 private:
  enum class Kind { Linear, Log, Categories };
  Scale(Kind kind, double low, double high) : kind_(kind), low_(low), high_(high) {}
  double transformed(double value) const;

  Kind kind_;
  double low_, high_;  // the domain, log10 of it for a log scale
  std::vector<std::string> labels_;
  double first_ = 0, last_ = 1;
};

}  // namespace hpo::cli
