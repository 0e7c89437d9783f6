#include "hpo/sampler.hpp"

namespace hpo {

SearchSpace Sampler::infer_relative_search_space(const Study&, const FrozenTrial&) { return {}; }

std::map<std::string, double> Sampler::sample_relative(const Study&, const FrozenTrial&,
                                                       const SearchSpace&) {
  return {};
}

void Sampler::before_trial(Study&, const FrozenTrial&) {}

void Sampler::after_trial(Study&, const FrozenTrial&, TrialState,
                          const std::optional<std::vector<double>>&) {}

}  // namespace hpo
