// MedianPruner stopping trials whose learning curve is worse than the median of the
// finished ones at the same step: here gradient descent on a quadratic, where too large a
// step size diverges. Usage: pruning [n_trials, default 40]
#include <cmath>
#include <iostream>
#include <string>

#include "hpo/hpo.hpp"

int main(int argc, char** argv) {
  int n_trials = argc > 1 ? std::stoi(argv[1]) : 40;
  hpo::Study study = hpo::create_study(
      hpo::open_storage(),
      hpo::StudyOptions()
          .study_name("pruning")
          .sampler(std::make_shared<hpo::RandomSampler>(11))
          .pruner(std::make_shared<hpo::MedianPruner>(
              hpo::PercentilePrunerOptions().n_startup_trials(5).n_warmup_steps(3))));

  study.optimize(
      [](hpo::Trial& trial) {
        // Minimizing 2x² by gradient descent converges for step < 0.5 and diverges above.
        double step_size = trial.suggest_float("step_size", 1e-3, 1.0, hpo::FloatOptions().log(true));
        double x = 5.0, loss = 0;
        for (int step = 0; step < 50; ++step) {
          x -= step_size * 4 * x;
          loss = 2 * x * x;
          trial.report(loss, step);
          if (trial.should_prune()) throw hpo::TrialPruned();
        }
        return loss;
      },
      hpo::OptimizeOptions().n_trials(n_trials));

  auto pruned = study.trials(std::vector<hpo::TrialState>{hpo::TrialState::Pruned});
  auto complete = study.trials(std::vector<hpo::TrialState>{hpo::TrialState::Complete});
  std::cout << complete.size() << " trials completed, " << pruned.size() << " pruned\n";
  for (const auto& t : pruned)
    std::cout << "  pruned #" << t.number << " step_size=" << t.params.at("step_size") << " at step "
              << *t.last_step() << "\n";
  std::cout << "best step_size " << study.best_params().at("step_size") << " loss " << study.best_value()
            << "\n";
  return pruned.empty() ? 1 : 0;
}
