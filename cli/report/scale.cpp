#include "report/scale.hpp"

#include <algorithm>
#include <cmath>

#include "report/html.hpp"

namespace hpo::cli {

namespace {

constexpr double kMargin = 0.04;

// 1, 2 or 5 times a power of ten, so that about `count` steps cover `span`.
double nice_step(double span, int count) {
  const double raw = span / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0}) {
    if (factor * power >= raw) return factor * power;
  }
  return 10 * power;
}

std::vector<double> linear_tick_values(double low, double high, int count) {
  const double step = nice_step(high - low, count);
  std::vector<double> values;
  for (double v = std::ceil(low / step) * step; v <= high + step * 1e-9; v += step) {
    values.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return values;
}

}  // namespace

Scale Scale::linear(double low, double high) {
  if (!(high > low)) {
    const double half = low == 0 ? 0.5 : std::abs(low) * 0.1;
    return Scale(Kind::Linear, low - half, low + half);
  }
  const double margin = (high - low) * kMargin;
  return Scale(Kind::Linear, low - margin, high + margin);
}

Scale Scale::logarithmic(double low, double high) {
  double lo = std::log10(low), hi = std::log10(high);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double margin = (hi - lo) * kMargin;
  return Scale(Kind::Log, lo - margin, hi + margin);
}

Scale Scale::categories(std::vector<std::string> labels) {
  Scale scale(Kind::Categories, -0.5, std::max<double>(0.5, static_cast<double>(labels.size()) - 0.5));
  scale.labels_ = std::move(labels);
  return scale;
}

Scale Scale::fit(const std::vector<double>& values, bool log_allowed) {
  double low = INFINITY, high = -INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  if (!std::isfinite(low)) return linear(0, 1);
  if (log_allowed && low > 0 && high / low >= 100) return logarithmic(low, high);
  return linear(low, high);
}

Scale& Scale::to_pixels(double first, double last) {
  first_ = first;
  last_ = last;
  return *this;
}

double Scale::transformed(double value) const {
  if (kind_ != Kind::Log) return value;
  return value > 0 ? std::log10(value) : low_;
}

double Scale::operator()(double value) const {
  double t = (transformed(value) - low_) / (high_ - low_);
  if (!std::isfinite(t)) t = value > 0 ? 1 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return first_ + t * (last_ - first_);
}

bool Scale::contains(double value) const {
  const double t = transformed(value);
  return std::isfinite(t) && t >= low_ && t <= high_ && (kind_ != Kind::Log || value > 0);
}

std::vector<Tick> Scale::ticks() const {
  std::vector<Tick> ticks;
  switch (kind_) {
    case Kind::Categories:
      for (std::size_t i = 0; i < labels_.size(); ++i) ticks.push_back({static_cast<double>(i), labels_[i]});
      break;
    case Kind::Linear:
      for (double v : linear_tick_values(low_, high_, 5)) ticks.push_back({v, format_number(v)});
      break;
    case Kind::Log:
      if (high_ - low_ >= 1.5) {
        const double step = std::max(1.0, std::ceil((high_ - low_) / 6));
        for (double e = std::ceil(low_); e <= high_; e += step) {
          ticks.push_back({std::pow(10.0, e), format_number(std::pow(10.0, e))});
        }
      } else {
        for (double v : linear_tick_values(std::pow(10.0, low_), std::pow(10.0, high_), 4)) {
          if (v > 0) ticks.push_back({v, format_number(v)});
        }
      }
      break;
  }
  return ticks;
}

}  // namespace hpo::cli
