#include "parzen_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "hpo/error.hpp"
#include "first_equal_rows.hpp"
#include "sorted_order.hpp"
#include "truncated_normal.hpp"

namespace hpo::tpe {
namespace {

constexpr double kEps = 1e-12;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log √(2π)

bool is_log(const Distribution& d) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) return f->log;
  if (const auto* i = std::get_if<IntDistribution>(&d)) return i->log;
  return false;
}

// The kernel bounds and grid of a numerical distribution in the transformed space. A log
// int becomes continuous on [log(low − ½), log(high + ½)] and is rounded when sampled, as
// Optuna does.
NumericalKernels numerical_frame(const Distribution& d) {
  NumericalKernels k;
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    k.low = f->log ? std::log(f->low) : f->low;
    k.high = f->log ? std::log(f->high) : f->high;
    k.step = f->step.value_or(0.0);
  } else {
    const auto& i = std::get<IntDistribution>(d);
    const double step = static_cast<double>(i.step);
    if (i.log) {
      k.low = std::log(static_cast<double>(i.low) - step / 2);
      k.high = std::log(static_cast<double>(i.high) + step / 2);
    } else {
      k.low = static_cast<double>(i.low);
      k.high = static_cast<double>(i.high);
      k.step = step;
    }
  }
  return k;
}

// Optuna's bandwidths: each observation's distance to its farther neighbour among the
// sorted observations, the prior's centre and the bounds (the nearer one at either end
// unless consider_endpoints); or Scott's rule when multivariate. Then clipped.
std::vector<double> kernel_widths(const std::vector<double>& mus, const NumericalKernels& frame,
                                  std::size_t n_params, const ParzenOptions& options) {
  const std::size_t n = mus.size();
  const double range = frame.high - frame.low + frame.step;
  std::vector<double> sigma(n);
  if (options.multivariate) {
    const double s = 0.2 * std::pow(static_cast<double>(std::max<std::size_t>(n, 1)),
                                    -1.0 / (static_cast<double>(n_params) + 4)) * range;
    std::fill(sigma.begin(), sigma.end(), s);
  } else {
    // The centres with the prior's, sorted (ties in index order, as a stable sort leaves them).
    std::vector<double> centres(mus);
    centres.push_back(0.5 * (frame.low + frame.high));
    const std::vector<std::size_t> order = sorted_order(centres);
    const std::size_t m = centres.size();
    std::vector<double> edges(m + 2);  // bounds around the sorted centres
    edges[0] = frame.low - frame.step / 2;
    for (std::size_t i = 0; i < m; ++i) edges[i + 1] = centres[order[i]];
    edges[m + 1] = frame.high + frame.step / 2;
    for (std::size_t i = 0; i < m; ++i) {
      double width = std::max(edges[i + 1] - edges[i], edges[i + 2] - edges[i + 1]);
      if (!options.consider_endpoints && m >= 2 && i == 0) width = edges[2] - edges[1];
      if (!options.consider_endpoints && m >= 2 && i == m - 1) width = edges[m] - edges[m - 1];
      if (order[i] < n) sigma[order[i]] = width;
    }
  }
  const double max_sigma = range;
  // The "magic clip": n kernels (prior included) never get narrower than range/(1 + n).
  const double min_sigma =
      options.consider_magic_clip ? range / std::min(100.0, 1.0 + static_cast<double>(n + 1)) : kEps;
  for (double& s : sigma) s = std::clamp(s, min_sigma, max_sigma);
  return sigma;
}

Kernels build_kernels(const std::vector<double>& observed, const Distribution& d,
                      std::size_t n_params, const ParzenOptions& options) {
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    CategoricalKernels k;
    k.n_choices = c->choices.size();
    const std::size_t n_kernels = observed.size() + 1;
    // Each observation puts 1 on its choice over the prior's share spread evenly; the last
    // row (the prior alone) is uniform.
    k.probabilities.assign(n_kernels * k.n_choices, options.prior_weight / static_cast<double>(n_kernels));
    if (observed.empty()) std::fill(k.probabilities.begin(), k.probabilities.end(), 1.0);
    for (std::size_t i = 0; i < observed.size(); ++i)
      k.probabilities[i * k.n_choices + static_cast<std::size_t>(observed[i])] += 1.0;
    for (std::size_t row = 0; row < n_kernels; ++row) {
      auto first = k.probabilities.begin() + static_cast<std::ptrdiff_t>(row * k.n_choices);
      const double sum = std::accumulate(first, first + static_cast<std::ptrdiff_t>(k.n_choices), 0.0);
      if (sum > 0) std::for_each(first, first + static_cast<std::ptrdiff_t>(k.n_choices), [sum](double& p) { p /= sum; });
    }
    return k;
  }
  NumericalKernels k = numerical_frame(d);
  k.mu = observed;
  if (is_log(d))
    for (double& m : k.mu) m = std::log(m);
  k.sigma = kernel_widths(k.mu, k, n_params, options);
  k.mu.push_back(0.5 * (k.low + k.high));
  k.sigma.push_back(k.high - k.low + k.step);
  return k;
}

// Back from the transformed space to a value inside the distribution.
double untransform(double x, const Distribution& d) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    if (f->log) x = std::exp(x);
    return std::clamp(x, f->low, f->high);
  }
  const auto& i = std::get<IntDistribution>(d);
  if (i.log) x = std::exp(x);
  const double low = static_cast<double>(i.low), step = static_cast<double>(i.step);
  return std::clamp(low + std::round((x - low) / step) * step, low, static_cast<double>(i.high));
}

// log Σ e^t over n terms (`above` is scratch space). A term more than kNegligible below
// the largest adds under e^−50 ≈ 2e−22 of it: with fewer than 10⁵ kernels, all of them
// together stay below half a unit in the last place, so their exponentials are not computed.
double log_sum_exp(const double* terms, std::size_t n, std::vector<std::size_t>& above) {
  constexpr double kNegligible = 50;
  // Four running maxima, independent of each other, instead of one chain of comparisons.
  double max0 = -kInf, max1 = -kInf, max2 = -kInf, max3 = -kInf;
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    max0 = std::max(max0, terms[k]);
    max1 = std::max(max1, terms[k + 1]);
    max2 = std::max(max2, terms[k + 2]);
    max3 = std::max(max3, terms[k + 3]);
  }
  for (; k < n; ++k) max0 = std::max(max0, terms[k]);
  const double max = std::max(std::max(max0, max1), std::max(max2, max3));
  if (max == -kInf) return -kInf;
  const double cutoff = max - kNegligible;
  // The terms above the cutoff first, without a branch per term (which term is above is
  // as good as random, so a branch would be mispredicted often), then their exponentials.
  above.resize(n);
  std::size_t m = 0;
  for (k = 0; k < n; ++k) {
    above[m] = k;
    m += terms[k] > cutoff;
  }
  double sum = 0;
  for (std::size_t j = 0; j < m; ++j) sum += std::exp(terms[above[j]] - max);
  return max + std::log(sum);
}

}  // namespace

ParzenEstimator::ParzenEstimator(const std::vector<std::vector<double>>& observations,
                                 const OrderedSpace& space, const ParzenOptions& options,
                                 const std::vector<double>* weights)
    : space_(space) {
  if (!(options.prior_weight > 0))
    throw ValueError("prior_weight " + std::to_string(options.prior_weight) + " is not positive");
  const std::size_t n = observations.empty() ? 0 : observations[0].size();
  if (n == 0) {
    weights_ = {1.0};
  } else {
    weights_ = weights ? *weights : options.weights(static_cast<int>(n));
    if (weights_.size() < n)
      throw ValueError("the TPE weights function returned " + std::to_string(weights_.size()) +
                       " weights for " + std::to_string(n) + " observations");
    weights_.resize(n);
    for (double w : weights_)
      if (!(w >= 0) || !std::isfinite(w))
        throw ValueError("the TPE weights function returned the weight " + std::to_string(w) +
                         ", expected finite non-negative weights");
    weights_.push_back(options.prior_weight);
  }
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) w /= total;
  for (std::size_t p = 0; p < space_.size(); ++p)
    kernels_.push_back(build_kernels(observations.empty() ? std::vector<double>{} : observations[p],
                                     space_[p].second, space_.size(), options));
  merge_identical_kernels();
}

void ParzenEstimator::merge_identical_kernels() {
  // Kernels equal in every parameter (observations of the same int or choice, say) are
  // one kernel with their summed weight: the same mixture, evaluated once. Only grids and
  // choices repeat; a continuous parameter makes every observed kernel distinct.
  for (const Kernels& kernels : kernels_)
    if (const auto* nk = std::get_if<NumericalKernels>(&kernels); nk && nk->step == 0) return;
  const std::size_t n = weights_.size();
  std::size_t width = 0;
  for (const Kernels& kernels : kernels_)
    width += std::holds_alternative<CategoricalKernels>(kernels) ? std::get<CategoricalKernels>(kernels).n_choices : 2;
  std::vector<double> keys(n * width);  // row k: what defines kernel k
  for (std::size_t k = 0, column = 0; k < n; ++k, column = 0) {
    double* row = &keys[k * width];
    for (const Kernels& kernels : kernels_) {
      if (const auto* c = std::get_if<CategoricalKernels>(&kernels)) {
        std::copy_n(&c->probabilities[k * c->n_choices], c->n_choices, row + column);
        column += c->n_choices;
      } else {
        const auto& nk = std::get<NumericalKernels>(kernels);
        row[column++] = nk.mu[k];
        row[column++] = nk.sigma[k];
      }
    }
  }
  const std::vector<std::size_t> representative = first_equal_rows(std::move(keys), width);
  std::vector<std::size_t> first, index_of(n);  // the kernels kept, in their order
  std::vector<double> weights;
  for (std::size_t k = 0; k < n; ++k) {
    if (representative[k] == k) {
      index_of[k] = first.size();
      first.push_back(k);
      weights.push_back(weights_[k]);
    } else {
      weights[index_of[representative[k]]] += weights_[k];
    }
  }
  if (first.size() == n) return;
  weights_ = std::move(weights);
  for (Kernels& kernels : kernels_) {
    if (auto* c = std::get_if<CategoricalKernels>(&kernels)) {
      std::vector<double> rows;
      for (std::size_t k : first)
        rows.insert(rows.end(), c->probabilities.begin() + static_cast<std::ptrdiff_t>(k * c->n_choices),
                    c->probabilities.begin() + static_cast<std::ptrdiff_t>((k + 1) * c->n_choices));
      c->probabilities = std::move(rows);
    } else {
      auto& nk = std::get<NumericalKernels>(kernels);
      std::vector<double> mu, sigma;
      for (std::size_t k : first) mu.push_back(nk.mu[k]), sigma.push_back(nk.sigma[k]);
      nk.mu = std::move(mu);
      nk.sigma = std::move(sigma);
    }
  }
}

std::vector<std::vector<double>> ParzenEstimator::sample(const std::function<double()>& uniform,
                                                         int n) const {
  std::vector<double> cumulative(weights_.size());
  std::partial_sum(weights_.begin(), weights_.end(), cumulative.begin());
  std::vector<std::vector<double>> points(static_cast<std::size_t>(n), std::vector<double>(space_.size()));
  for (auto& point : points) {
    // One kernel for all parameters of the point: the mixture is of product kernels.
    const double u = uniform() * cumulative.back();
    const std::size_t k = std::min<std::size_t>(
        static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin()),
        weights_.size() - 1);
    for (std::size_t p = 0; p < space_.size(); ++p) {
      if (const auto* c = std::get_if<CategoricalKernels>(&kernels_[p])) {
        const double q = uniform();
        const double* row = &c->probabilities[k * c->n_choices];
        // The first choice whose cumulative probability reaches q.
        std::size_t choice = 0;
        double cumulative_p = row[0];
        while (cumulative_p < q && choice + 1 < c->n_choices) cumulative_p += row[++choice];
        point[p] = static_cast<double>(choice);
        continue;
      }
      const auto& nk = std::get<NumericalKernels>(kernels_[p]);
      const double mu = nk.mu[k], sigma = nk.sigma[k];
      const double lo = nk.low - nk.step / 2, hi = nk.high + nk.step / 2;
      double x = mu + sigma * truncated_ppf(uniform(), (lo - mu) / sigma, (hi - mu) / sigma);
      if (nk.step > 0)
        x = std::clamp(nk.low + std::round((x - nk.low) / nk.step) * nk.step, nk.low, nk.high);
      point[p] = x;
    }
    for (std::size_t p = 0; p < space_.size(); ++p)
      if (!std::holds_alternative<CategoricalDistribution>(space_[p].second))
        point[p] = untransform(point[p], space_[p].second);
  }
  return points;
}

std::vector<double> ParzenEstimator::log_pdf(const std::vector<std::vector<double>>& points) const {
  const std::size_t n_kernels = weights_.size();
  // What each parameter adds to kernel k's log term at a point: a row of the categorical
  // log probabilities, a row of grid masses (shared by the points of equal value), or a
  // density computed from each kernel's normalization.
  struct Column {
    std::size_t n_choices = 0;  // categorical: log_p[k * n_choices + choice]
    std::vector<double> log_p;
    std::vector<double> masses;      // grid: one row of n_kernels per distinct point value
    std::vector<std::size_t> row_of;  // grid: the row of each point
    std::vector<double> log_norm, inverse_sigma, x;  // density: per kernel, per point
    bool density = false;
    double lo = 0, hi = 0;
    const NumericalKernels* nk = nullptr;
  };
  std::vector<Column> columns(space_.size());
  for (std::size_t p = 0; p < space_.size(); ++p) {
    Column& column = columns[p];
    if (const auto* c = std::get_if<CategoricalKernels>(&kernels_[p])) {
      column.n_choices = c->n_choices;
      column.log_p.resize(c->probabilities.size());
      for (std::size_t j = 0; j < column.log_p.size(); ++j) column.log_p[j] = std::log(c->probabilities[j]);
      continue;
    }
    const auto& nk = std::get<NumericalKernels>(kernels_[p]);
    column.nk = &nk;
    column.lo = nk.low - nk.step / 2, column.hi = nk.high + nk.step / 2;
    const double lo = column.lo, hi = column.hi;
    if (nk.step > 0) {
      // Kernels on a grid repeat (many observations share a value and so a width): the
      // masses are computed once per distinct kernel and distinct point.
      std::vector<std::pair<double, double>> distinct;
      std::vector<std::size_t> kernel_of(n_kernels);
      {
        std::vector<std::size_t> order(n_kernels);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&nk](std::size_t a, std::size_t b) {
          return std::make_pair(nk.mu[a], nk.sigma[a]) < std::make_pair(nk.mu[b], nk.sigma[b]);
        });
        for (std::size_t k : order) {
          const std::pair<double, double> kernel{nk.mu[k], nk.sigma[k]};
          if (distinct.empty() || distinct.back() != kernel) distinct.push_back(kernel);
          kernel_of[k] = distinct.size() - 1;
        }
      }
      std::vector<double> log_norm(distinct.size());
      for (std::size_t u = 0; u < distinct.size(); ++u) {
        const auto [mu, sigma] = distinct[u];
        log_norm[u] = log_gauss_mass((lo - mu) / sigma, (hi - mu) / sigma);
      }
      std::vector<double> values;  // the distinct point values, in the order first met
      std::vector<double> mass(distinct.size());
      column.row_of.resize(points.size());
      for (std::size_t i = 0; i < points.size(); ++i) {
        const double x = points[i][p];
        const auto known = std::find(values.begin(), values.end(), x);
        column.row_of[i] = static_cast<std::size_t>(known - values.begin());
        if (known != values.end()) continue;
        values.push_back(x);
        for (std::size_t u = 0; u < distinct.size(); ++u) {
          const auto [mu, sigma] = distinct[u];
          mass[u] = log_gauss_mass((x - nk.step / 2 - mu) / sigma, (x + nk.step / 2 - mu) / sigma) - log_norm[u];
        }
        for (std::size_t k = 0; k < n_kernels; ++k) column.masses.push_back(mass[kernel_of[k]]);
      }
      continue;
    }
    // A density: each kernel's normalization (truncation mass and width) once.
    column.density = true;
    column.log_norm.resize(n_kernels);
    column.inverse_sigma.resize(n_kernels);
    double log_sigma = 0;
    for (std::size_t k = 0; k < n_kernels; ++k) {
      // Most widths are the clip's: their logarithm is the previous kernel's.
      if (k == 0 || nk.sigma[k] != nk.sigma[k - 1]) log_sigma = std::log(nk.sigma[k]);
      column.log_norm[k] = log_gauss_mass((lo - nk.mu[k]) / nk.sigma[k], (hi - nk.mu[k]) / nk.sigma[k]) +
                           log_sigma + kLogSqrt2Pi;
      column.inverse_sigma[k] = 1 / nk.sigma[k];
    }
    const bool log_space = is_log(space_[p].second);
    column.x.resize(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) column.x[i] = log_space ? std::log(points[i][p]) : points[i][p];
  }

  // Point by point: kernel k's term is its log weight plus what each parameter adds (in
  // parameter order); the mixture's log density is the log-sum-exp of the terms.
  std::vector<double> log_weights(n_kernels);
  for (std::size_t k = 0; k < n_kernels; ++k) log_weights[k] = std::log(weights_[k]);
  std::vector<double> terms(n_kernels);
  std::vector<std::size_t> scratch;
  double* t = terms.data();
  std::vector<double> out(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::copy(log_weights.begin(), log_weights.end(), t);
    for (std::size_t p = 0; p < space_.size(); ++p) {
      const Column& column = columns[p];
      if (column.n_choices > 0) {
        const auto choice = static_cast<std::size_t>(points[i][p]);
        const double* log_p = column.log_p.data() + choice;
        for (std::size_t k = 0; k < n_kernels; ++k) t[k] += log_p[k * column.n_choices];
      } else if (!column.density) {
        const double* mass = column.masses.data() + column.row_of[i] * n_kernels;
        for (std::size_t k = 0; k < n_kernels; ++k) t[k] += mass[k];
      } else {
        const double x = column.x[i];
        if (x < column.lo || x > column.hi) {
          std::fill(t, t + n_kernels, -kInf);
          continue;
        }
        const double* mu = column.nk->mu.data();
        const double* inverse_sigma = column.inverse_sigma.data();
        const double* log_norm = column.log_norm.data();
        for (std::size_t k = 0; k < n_kernels; ++k) {
          const double z = (x - mu[k]) * inverse_sigma[k];
          t[k] -= 0.5 * z * z + log_norm[k];
        }
      }
    }
    out[i] = log_sum_exp(t, n_kernels, scratch);
  }
  return out;
}

}  // namespace hpo::tpe
