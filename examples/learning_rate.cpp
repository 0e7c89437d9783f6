// Refining the learning rate (and the momentum) of SGD with the exact unrolled
// hypergradient: reverse-mode through the last inner steps gives d(validation loss)/d(lr),
// which implicit methods (IFT, CG) cannot give, since the optimum w* does not depend on the
// learning rate. A weight decay is refined alongside. Usage: learning_rate [n_trials, default 4]
#include <torch/torch.h>

#include <iostream>

#include "hpo/hybrid/hyper_trial.hpp"
#include "hpo/hybrid/hypergradient_sampler.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/study.hpp"

int main(int argc, char** argv) {
  int n_trials = argc > 1 ? std::stoi(argv[1]) : 4;
  torch::manual_seed(0);
  auto x_train = torch::randn({256, 10}), x_valid = torch::randn({256, 10});
  auto w_true = torch::randn({10});
  auto y_train = x_train.mv(w_true) + 0.3 * torch::randn({256});
  auto y_valid = x_valid.mv(w_true) + 0.3 * torch::randn({256});

  auto sampler = std::make_shared<hpo::HypergradientSampler>(
      hpo::HypergradientSamplerOptions().method(hpo::hypergrad::UnrolledOptions().steps(10)).seed(5));
  hpo::Study study = hpo::create_study(hpo::open_storage(), hpo::StudyOptions().study_name("lr").sampler(sampler));
  study.optimize(
      [&](hpo::Trial& trial) {
        torch::manual_seed(trial.number());
        hpo::HyperTrial hyper(trial);
        double lr = hyper.suggest_learning_rate("lr", 1e-3, 0.3);
        double momentum = hyper.suggest_momentum("momentum", 0.0, 0.95);
        auto decay = hyper.suggest_hyperparameter("weight_decay", 1e-5, 1e-1, hpo::HyperparameterOptions().log(true));
        auto w = torch::zeros({10}).requires_grad_();
        // The loss of a given batch of rows: the unrolled method evaluates it again on the
        // batches it recorded, so it must not draw batches itself.
        auto train_loss = [&](const hpo::hypergrad::Batch& batch) {
          const torch::Tensor& rows = batch.at(0);
          auto residual = x_train.index_select(0, rows).mv(w) - y_train.index_select(0, rows);
          return 0.5 * residual.pow(2).mean() + 0.5 * decay.value() * w.pow(2).sum();
        };
        auto val_loss = [&] { return 0.5 * (x_valid.mv(w) - y_valid).pow(2).mean(); };
        auto sgd = std::make_shared<torch::optim::SGD>(std::vector<torch::Tensor>{w},
                                                       torch::optim::SGDOptions(lr).momentum(momentum));
        auto& optimizer = hyper.make_optimizer({{w}, {}, train_loss, val_loss}, sgd);
        for (int step = 0; step < 400; ++step) optimizer.step({torch::randint(256, {32}, torch::kLong)});
        return hyper.value();
      },
      hpo::OptimizeOptions().n_trials(n_trials));

  for (const auto& t : study.trials()) {
    const hpo::Json& initial = t.system_attrs.at("hypergrad").at("initial_params");
    std::cout << "trial " << t.number << ": lr " << initial.at("lr").get<double>() << " -> "
              << t.params.at("lr").get<double>() << ", momentum " << initial.at("momentum").get<double>() << " -> "
              << t.params.at("momentum").get<double>() << ", validation loss " << t.value() << "\n";
  }
  return 0;
}
