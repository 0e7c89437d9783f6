#include "report/importance.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "report/param_layout.hpp"

namespace hpo::cli {

namespace {

constexpr std::size_t kMaxBins = 10;
constexpr std::size_t kMinTrials = 4;

// Ranks 1..n, ties sharing their mean rank.
std::vector<double> ranks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> rank(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double mean_rank = (static_cast<double>(i + j) / 2) + 1;
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = mean_rank;
    i = j + 1;
  }
  return rank;
}

// omega² of y grouped by bins of x.
double omega_squared(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });

  // Bins: one per value when there are few distinct values, else about equal counts
  // (equal x values never straddle two bins).
  std::vector<std::vector<std::size_t>> bins;
  std::size_t distinct = 0;
  for (std::size_t i = 0; i < n; ++i) distinct += (i == 0 || x[order[i]] != x[order[i - 1]]);
  const std::size_t n_bins = std::min(kMaxBins, std::max<std::size_t>(2, n / 5));
  for (std::size_t i = 0; i < n; ++i) {
    const bool new_value = i == 0 || x[order[i]] != x[order[i - 1]];
    const bool bin_full = !bins.empty() && bins.back().size() * n_bins >= n;
    if (bins.empty() || (new_value && (distinct <= n_bins || bin_full))) bins.emplace_back();
    bins.back().push_back(order[i]);
  }
  const std::size_t k = bins.size();
  if (k < 2 || n <= k) return 0;

  const double mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
  double ss_total = 0;
  for (double v : y) ss_total += (v - mean) * (v - mean);
  double ss_between = 0;
  for (const auto& bin : bins) {
    double bin_mean = 0;
    for (std::size_t i : bin) bin_mean += y[i];
    bin_mean /= static_cast<double>(bin.size());
    ss_between += static_cast<double>(bin.size()) * (bin_mean - mean) * (bin_mean - mean);
  }
  if (!(ss_total > 0)) return 0;
  const double ms_within = (ss_total - ss_between) / static_cast<double>(n - k);
  const double omega = (ss_between - static_cast<double>(k - 1) * ms_within) / (ss_total + ms_within);
  return std::max(0.0, omega);
}

}  // namespace

std::vector<ParamImportance> first_order_importances(const std::vector<const FrozenTrial*>& trials,
                                                     const std::vector<std::string>& params,
                                                     std::size_t objective) {
  std::vector<ParamImportance> importances;
  for (const std::string& param : params) {
    std::vector<double> x, values;
    for (const FrozenTrial* trial : trials) {
      const double position = param_position(*trial, param);
      if (std::isnan(position) || trial->values.size() <= objective) continue;
      x.push_back(position);
      values.push_back(trial->values[objective]);
    }
    if (x.size() < kMinTrials) continue;
    importances.push_back({param, omega_squared(x, ranks(values)), 0, x.size()});
  }
  double total = 0;
  for (const ParamImportance& importance : importances) total += importance.omega_squared;
  for (ParamImportance& importance : importances) importance.share = total > 0 ? importance.omega_squared / total : 0;
  std::stable_sort(importances.begin(), importances.end(), [](const ParamImportance& a, const ParamImportance& b) {
    return a.omega_squared > b.omega_squared;
  });
  return importances;
}

}  // namespace hpo::cli
