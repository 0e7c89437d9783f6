// A study kept in SQLite and run in several invocations: each run adds trials to the
// same study, and the seeded TPE sampler continues exactly where the last run stopped.
// Usage: resume [database file, default resume.db] [trials per run, default 10]
#include <cmath>
#include <iostream>
#include <string>

#include "hpo/hpo.hpp"

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "resume.db";
  int n_trials = argc > 2 ? std::stoi(argv[2]) : 10;

  hpo::Study study = hpo::create_study(
      hpo::open_storage("sqlite:///" + path),
      hpo::StudyOptions()
          .study_name("resume-example")
          .sampler(std::make_shared<hpo::TPESampler>(hpo::TPESamplerOptions().seed(7)))
          .load_if_exists(true));  // the second run finds the study and continues it

  std::size_t before = study.trials().size();
  study.optimize(
      [](hpo::Trial& trial) {
        double x = trial.suggest_float("x", -4, 4);
        double y = trial.suggest_float("y", -4, 4);
        return std::pow(x - 1, 2) + std::pow(y + 2, 2);
      },
      hpo::OptimizeOptions().n_trials(n_trials));

  std::cout << "study '" << study.study_name() << "' in " << path << ": " << before
            << " trials before this run, " << study.trials().size() << " now; best value "
            << study.best_value() << " (trial #" << study.best_trial().number << ")\n";
  return 0;
}
