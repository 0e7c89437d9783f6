#pragma once

// The standard normal distribution truncated to [a, b], in standardized units, with care for
// the tails: TPE's kernels are narrow (down to 1/100 of a range), so a candidate or an
// observation may lie dozens of widths from a kernel's centre.
namespace hpo::tpe {

// log Φ(x), accurate far into the left tail.
double log_ndtr(double x);
// log(Φ(b) − Φ(a)) for a ≤ b; −inf when the mass underflows.
double log_gauss_mass(double a, double b);
// The quantile q ∈ [0, 1] of the normal truncated to [a, b] (a < b).
double truncated_ppf(double q, double a, double b);

}  // namespace hpo::tpe
