#include "truncated_normal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hpo::tpe {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kLogSqrt2Pi = 0.5 * std::log(2.0 * 3.14159265358979323846);

// Φ(x) through erfc, which keeps its relative precision in the left tail. Below −40,
// erfc(−x/√2) < 1e−349 underflows to 0 (the smallest double is 4.9e−324): most kernels lie
// that many widths from a bound, so most truncation masses need one call, not two.
double ndtr(double x) { return x < -40 ? 0.0 : 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// log(e^p − e^q) for p ≥ q.
double log_diff(double p, double q) {
  if (q == -kInf) return p;
  return p + std::log1p(-std::exp(q - p));
}

// Φ⁻¹(p) for p ∈ (0, 1): Acklam's rational approximation (relative error 1e-9), polished by
// two Newton steps on Φ, which brings it to double precision.
double ndtri(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double p_low = 0.02425;
  double x;
  if (p < p_low) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - p_low) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    return -ndtri(1 - p);
  }
  for (int i = 0; i < 2; ++i) {
    // Newton on log Φ(x) = log p: steps stay accurate where Φ(x) itself is tiny.
    double log_ratio = log_ndtr(x) - std::log(p);
    double dlog = std::exp(-0.5 * x * x - kLogSqrt2Pi - log_ndtr(x));  // φ(x)/Φ(x)
    x -= log_ratio / dlog;
  }
  return x;
}

}  // namespace

double log_ndtr(double x) {
  if (x > 6) return -ndtr(-x);  // log(1 − ε) ≈ −ε
  if (x > -20) return std::log(ndtr(x));
  // Asymptotic series of Mills' ratio: Φ(x) ≈ φ(x)/(−x) · Σ (−1)^k (2k−1)!! / x^{2k}.
  double log_lhs = -0.5 * x * x - std::log(-x) - kLogSqrt2Pi;
  double sum = 1, term = 1, x2 = x * x;
  for (int k = 1; k < 30; ++k) {
    double next = -term * (2 * k - 1) / x2;
    if (std::abs(next) < std::numeric_limits<double>::epsilon()) break;
    term = next;
    sum += term;
  }
  return log_lhs + std::log(sum);
}

double log_gauss_mass(double a, double b) {
  if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
  if (a > 0) return log_gauss_mass(-b, -a);  // the left tail is the accurate one
  if (a < -40 && b > 40) return -0.0;         // log1p(−0 − 0), as below
  return std::log1p(-ndtr(a) - ndtr(-b));    // the central case: no cancellation
}

double truncated_ppf(double q, double a, double b) {
  if (q <= 0) return a;
  if (q >= 1) return b;
  if (a > 0) return -truncated_ppf(1 - q, -b, -a);  // work in the left tail
  // Φ(x) = Φ(a) + q (Φ(b) − Φ(a)), in logs.
  double log_mass = log_gauss_mass(a, b);
  double la = log_ndtr(a), lq = std::log(q) + log_mass;
  double log_phi = std::max(la, lq) + std::log1p(std::exp(-std::abs(la - lq)));
  double p = std::exp(log_phi);
  if (!(p > 0)) return a;
  if (p >= 1) return b;
  return std::clamp(ndtri(p), a, b);
}

}  // namespace hpo::tpe
