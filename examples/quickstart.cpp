// A study of a 2-D function with a log-scale float, an int and a categorical parameter,
// stored in memory, sampled by the default sampler (TPE, as in Optuna).
// Usage: quickstart [n_trials]
#include <cmath>
#include <iostream>
#include <string>

#include "hpo/hpo.hpp"

int main(int argc, char** argv) {
  int n_trials = argc > 1 ? std::stoi(argv[1]) : 200;

  hpo::Study study = hpo::create_study(
      hpo::open_storage(),  // in memory; pass "sqlite:///quickstart.db" to keep it
      hpo::StudyOptions()
          .study_name("quickstart")
          .direction(hpo::StudyDirection::Minimize));  // .sampler(...) to choose another

  study.optimize(
      [](hpo::Trial& trial) {
        double scale = trial.suggest_float("scale", 1e-3, 1e1, hpo::FloatOptions().log(true));
        std::int64_t shift = trial.suggest_int("shift", -5, 5);
        std::string shape = trial.suggest_categorical("shape", {"bowl", "ridge"}).get<std::string>();
        double x = std::log10(scale), y = static_cast<double>(shift) - 2;
        return shape == "bowl" ? x * x + y * y : std::abs(x) + 0.5 * y * y + 1;
      },
      hpo::OptimizeOptions().n_trials(n_trials));

  hpo::FrozenTrial best = study.best_trial();
  std::cout << "best trial #" << best.number << ": value " << best.value() << "\n";
  for (const auto& [name, value] : best.params) std::cout << "  " << name << " = " << value << "\n";
  return 0;
}
