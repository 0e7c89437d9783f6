#pragma once

#include <cstdint>
#include <optional>

#include "hpo/sampler.hpp"

namespace hpo {

// Uniform (log-uniform for log distributions, on the grid for stepped ones) sampling.
//
// Each draw is a pure function of (seed, trial number, parameter name), not of a shared
// random stream. So a study resumed in a new process, or run by several workers, draws
// exactly the values a single uninterrupted run would, and no lock is needed.
class RandomSampler : public Sampler {
 public:
  // Without a seed, one is taken from std::random_device.
  explicit RandomSampler(std::optional<std::uint64_t> seed = std::nullopt);

  double sample_independent(const Study& study, const FrozenTrial& trial,
                            const std::string& param_name,
                            const Distribution& distribution) override;

  // The draw itself, for samplers that compose this one: `stream` separates independent
  // draws for the same trial and name (0 for the ordinary draw).
  double sample(const Distribution& distribution, int trial_number, const std::string& param_name,
                std::uint64_t stream = 0) const;
  // A uniform number in [0, 1) from the same keyed generator.
  double uniform01(int trial_number, const std::string& key, std::uint64_t stream = 0) const;

  std::uint64_t seed() const { return seed_; }

 private:
  std::uint64_t seed_;
};

}  // namespace hpo
