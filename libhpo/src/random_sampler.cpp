#include "hpo/random_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace hpo {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
  return h;
}

}  // namespace

RandomSampler::RandomSampler(std::optional<std::uint64_t> seed)
    : seed_(seed ? *seed : (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}

double RandomSampler::uniform01(int trial_number, const std::string& key, std::uint64_t stream) const {
  std::uint64_t x = splitmix64(seed_);
  x = splitmix64(x ^ static_cast<std::uint64_t>(trial_number));
  x = splitmix64(x ^ fnv1a(key));
  x = splitmix64(x ^ stream);
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

double RandomSampler::sample(const Distribution& distribution, int trial_number,
                             const std::string& param_name, std::uint64_t stream) const {
  double u = uniform01(trial_number, param_name, stream);
  if (const auto* f = std::get_if<FloatDistribution>(&distribution)) {
    if (f->log) return std::clamp(std::exp(std::log(f->low) + u * (std::log(f->high) - std::log(f->low))), f->low, f->high);
    if (f->step) {
      double n = std::round((f->high - f->low) / *f->step);
      return std::min(f->low + std::floor(u * (n + 1)) * *f->step, f->high);
    }
    return f->low + u * (f->high - f->low);
  }
  if (const auto* i = std::get_if<IntDistribution>(&distribution)) {
    if (i->log) {
      // Log-uniform over [low - 0.5, high + 0.5] so that every integer gets the mass of
      // its rounding interval.
      double lo = std::log(static_cast<double>(i->low) - 0.5), hi = std::log(static_cast<double>(i->high) + 0.5);
      double v = std::round(std::exp(lo + u * (hi - lo)));
      return std::clamp(v, static_cast<double>(i->low), static_cast<double>(i->high));
    }
    std::int64_t n = (i->high - i->low) / i->step;
    auto k = std::min(static_cast<std::int64_t>(u * static_cast<double>(n + 1)), n);
    return static_cast<double>(i->low + k * i->step);
  }
  const auto& c = std::get<CategoricalDistribution>(distribution);
  auto n = static_cast<double>(c.choices.size());
  return std::min(std::floor(u * n), n - 1);
}

double RandomSampler::sample_independent(const Study&, const FrozenTrial& trial,
                                         const std::string& param_name,
                                         const Distribution& distribution) {
  return sample(distribution, trial.number, param_name);
}

}  // namespace hpo
