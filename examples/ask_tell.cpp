// Driving a study from an external loop with ask and tell, as a program that cannot hand
// its evaluation to optimize() would (the evaluation here runs in the same process, but it
// could be a simulation, a job queue or a human).
// Usage: ask_tell [n_trials, default 30]
#include <cmath>
#include <iostream>
#include <string>

#include "hpo/hpo.hpp"

namespace {

// Stands for an evaluation that happens outside the study's control.
double evaluate(double learning_rate, std::int64_t layers, const std::string& activation) {
  double penalty = activation == "relu" ? 0.0 : 0.1;
  return std::pow(std::log10(learning_rate) + 2.5, 2) + 0.05 * static_cast<double>(layers) + penalty;
}

}  // namespace

int main(int argc, char** argv) {
  int n_trials = argc > 1 ? std::stoi(argv[1]) : 30;
  hpo::Study study = hpo::create_study(
      hpo::open_storage(),
      hpo::StudyOptions().study_name("ask-tell").sampler(std::make_shared<hpo::RandomSampler>(3)));

  // The search space can be given up front; ask() then suggests it before returning.
  hpo::SearchSpace space = {
      {"learning_rate", hpo::FloatDistribution(1e-5, 1e-1, /*log=*/true)},
      {"layers", hpo::IntDistribution(1, 8)},
      {"activation", hpo::CategoricalDistribution({"relu", "tanh"})},
  };
  for (int i = 0; i < n_trials; ++i) {
    hpo::Trial trial = study.ask(space);
    const hpo::ParamMap& p = trial.params();
    double value = evaluate(p.at("learning_rate").get<double>(), p.at("layers").get<std::int64_t>(),
                            p.at("activation").get<std::string>());
    study.tell(trial, value);
  }

  hpo::FrozenTrial best = study.best_trial();
  std::cout << "best of " << n_trials << " told trials: #" << best.number << " value " << best.value()
            << "\n";
  for (const auto& [name, value] : best.params) std::cout << "  " << name << " = " << value << "\n";
  return 0;
}
