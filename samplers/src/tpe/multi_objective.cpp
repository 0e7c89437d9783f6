#include "multi_objective.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hpo::tpe {
namespace {

constexpr double kEps = 1e-12;

bool weakly_dominates(const std::vector<double>& a, const std::vector<double>& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] > b[i]) return false;
  return true;
}

// Optuna's reference point: 1.1 × the worst value of each objective (0.9 × if negative).
std::vector<double> reference_point(const Points& points) {
  std::vector<double> ref = points.front();
  for (const auto& p : points)
    for (std::size_t i = 0; i < ref.size(); ++i) ref[i] = std::max(ref[i], p[i]);
  for (double& r : ref) r = r == 0 ? kEps : std::max(1.1 * r, 0.9 * r);
  return ref;
}

// Indices of the distinct points in lexicographic order, and for every point the position
// of its distinct value in that order.
std::pair<std::vector<std::size_t>, std::vector<std::size_t>> unique_lexsorted(const Points& points) {
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return points[a] < points[b]; });
  std::vector<std::size_t> unique, position(points.size());
  for (std::size_t i : order) {
    if (unique.empty() || points[unique.back()] != points[i]) unique.push_back(i);
    position[i] = unique.size() - 1;
  }
  return {unique, position};
}

// Non-domination ranks of distinct, lexicographically sorted points (no later point can
// dominate an earlier one), peeling fronts until `needed` points are ranked; the rest share
// the next rank. Each peel costs O(n × front size).
std::vector<int> nondomination_ranks(const Points& sorted, std::size_t needed) {
  std::vector<int> rank(sorted.size(), -1);
  std::vector<std::size_t> remaining(sorted.size());
  std::iota(remaining.begin(), remaining.end(), 0);
  std::size_t ranked = 0;
  int current = 0;
  for (; ranked < needed && !remaining.empty(); ++current) {
    std::vector<std::size_t> rest, candidates = remaining;
    while (!candidates.empty()) {
      const std::size_t top = candidates.front();  // not dominated by anything still here
      rank[top] = current;
      ++ranked;
      std::vector<std::size_t> next;
      for (std::size_t j = 1; j < candidates.size(); ++j)
        (weakly_dominates(sorted[top], sorted[candidates[j]]) ? rest : next).push_back(candidates[j]);
      candidates = std::move(next);
    }
    std::sort(rest.begin(), rest.end());
    remaining = std::move(rest);
  }
  for (std::size_t i : remaining) rank[i] = current;
  return rank;
}

// Greedy hypervolume subset selection among distinct points (Optuna's _solve_hssp): picks
// `size` of them, each time the one adding most hypervolume.
std::vector<std::size_t> greedy_hssp(const Points& points, std::size_t size) {
  const std::vector<double> ref = reference_point(points);
  std::vector<std::size_t> chosen;
  for (double r : ref)
    if (!std::isfinite(r)) {
      for (std::size_t i = 0; i < size; ++i) chosen.push_back(i);
      return chosen;
    }
  std::vector<bool> taken(points.size(), false);
  Points selected;
  double selected_hv = 0;
  for (std::size_t k = 0; k < size; ++k) {
    std::size_t best = points.size();
    double best_gain = -1;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (taken[i]) continue;
      selected.push_back(points[i]);
      const double gain = hypervolume(selected, ref) - selected_hv;
      selected.pop_back();
      if (gain > best_gain) best_gain = gain, best = i;
    }
    taken[best] = true;
    chosen.push_back(best);
    selected.push_back(points[best]);
    selected_hv += best_gain;
  }
  return chosen;
}

}  // namespace

double hypervolume(const Points& points, const std::vector<double>& reference) {
  Points inside;
  for (const auto& p : points) {
    bool below = true;
    for (std::size_t i = 0; i < p.size(); ++i) below = below && p[i] < reference[i];
    if (below) inside.push_back(p);
  }
  if (inside.empty()) return 0;
  const std::size_t m = reference.size();
  if (m == 1) {
    double best = reference[0];
    for (const auto& p : inside) best = std::min(best, p[0]);
    return reference[0] - best;
  }
  // Slice along the last objective: between consecutive values, the points seen so far
  // dominate an (m−1)-dimensional hypervolume.
  std::sort(inside.begin(), inside.end(), [m](const auto& a, const auto& b) { return a[m - 1] < b[m - 1]; });
  const std::vector<double> sub_reference(reference.begin(), reference.end() - 1);
  Points slice;
  double volume = 0;
  for (std::size_t i = 0; i < inside.size(); ++i) {
    slice.emplace_back(inside[i].begin(), inside[i].end() - 1);
    const double next = i + 1 < inside.size() ? inside[i + 1][m - 1] : reference[m - 1];
    if (next > inside[i][m - 1]) volume += hypervolume(slice, sub_reference) * (next - inside[i][m - 1]);
  }
  return volume;
}

std::vector<std::size_t> select_best(const Points& points, std::size_t n_below) {
  n_below = std::min(n_below, points.size());
  std::vector<std::size_t> below;
  if (n_below == 0) return below;
  if (n_below == points.size()) {
    below.resize(points.size());
    std::iota(below.begin(), below.end(), 0);
    return below;
  }
  const auto [unique, position] = unique_lexsorted(points);
  Points sorted;
  for (std::size_t u : unique) sorted.push_back(points[u]);
  const std::vector<int> unique_rank = nondomination_ranks(sorted, std::min(n_below, unique.size()));
  std::vector<int> rank(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) rank[i] = unique_rank[position[i]];
  // The ranks that fit whole.
  const int worst = *std::max_element(rank.begin(), rank.end());
  int last_whole = -1;
  for (int r = 0, count = 0; r <= worst; ++r) {
    count += static_cast<int>(std::count(rank.begin(), rank.end(), r));
    if (count > static_cast<int>(n_below)) break;
    last_whole = r;
  }
  for (std::size_t i = 0; i < points.size(); ++i)
    if (rank[i] <= last_whole) below.push_back(i);
  if (below.size() < n_below) {
    // Tie-break inside the next rank: distinct values first, by hypervolume; duplicates of
    // already chosen values only when the distinct ones run out.
    std::vector<std::size_t> tied;
    for (std::size_t i = 0; i < points.size(); ++i)
      if (rank[i] == last_whole + 1) tied.push_back(i);
    const std::size_t wanted = n_below - below.size();
    Points tied_points;
    for (std::size_t i : tied) tied_points.push_back(points[i]);
    const std::vector<std::size_t> tied_unique = unique_lexsorted(tied_points).first;
    if (tied_unique.size() <= wanted) {
      std::vector<bool> chosen(tied.size(), false);
      for (std::size_t u : tied_unique) chosen[u] = true;
      std::size_t extra = wanted - tied_unique.size();
      for (std::size_t j = 0; j < tied.size() && extra > 0; ++j)
        if (!chosen[j]) chosen[j] = true, --extra;
      for (std::size_t j = 0; j < tied.size(); ++j)
        if (chosen[j]) below.push_back(tied[j]);
    } else {
      Points distinct;
      for (std::size_t u : tied_unique) distinct.push_back(tied_points[u]);
      for (std::size_t pick : greedy_hssp(distinct, wanted)) below.push_back(tied[tied_unique[pick]]);
    }
  }
  std::sort(below.begin(), below.end());
  return below;
}

std::vector<double> hypervolume_weights(const Points& points) {
  std::vector<double> weights(points.size(), 1.0);
  if (points.size() <= 1) return weights;
  const std::vector<double> ref = reference_point(points);
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < points.size() && !dominated; ++j)
      dominated = points[j] != points[i] && weakly_dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  Points front_points;
  for (std::size_t i : front) front_points.push_back(points[i]);
  const double total = hypervolume(front_points, ref);
  if (std::isinf(total)) return weights;
  std::vector<double> contribution(points.size(), 0.0);
  for (std::size_t k = 0; k < front.size(); ++k) {
    Points others = front_points;
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(k));
    contribution[front[k]] = total - hypervolume(others, ref);
  }
  const double largest = std::max(*std::max_element(contribution.begin(), contribution.end()), kEps);
  for (std::size_t i = 0; i < points.size(); ++i) weights[i] = std::max(contribution[i] / largest, kEps);
  return weights;
}

}  // namespace hpo::tpe
