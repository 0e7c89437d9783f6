// Per-layer weight decay and the learning rate of an MLP on the bundled digits data set
// (8×8 images, 10 classes), tuned by the hybrid search: random starts across trials; inside
// each trial up to four training runs, each with the decays and the learning rate frozen,
// both moved between runs on the hypergradient of the whole run (a network is not convex).
// The hidden width is a discrete parameter, drawn by the base sampler.
// Usage: mlp_weight_decay [data.csv.gz] [n_trials] [epochs]
#include <torch/torch.h>
#include <zlib.h>

#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "hpo/hybrid/hyper_trial.hpp"
#include "hpo/hybrid/hypergradient_sampler.hpp"
#include "hpo/storage/open_storage.hpp"
#include "hpo/study.hpp"

namespace {

// The digits table: a header line, then 64 pixel values (0-16) and the label per row.
std::pair<torch::Tensor, torch::Tensor> read_digits(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<float> pixels;
  std::vector<int64_t> labels;
  char line[4096];
  bool header = true;
  while (gzgets(file, line, sizeof line)) {
    if (header) {
      header = false;
      continue;
    }
    std::stringstream row(line);
    std::string cell;
    std::vector<float> values;
    while (std::getline(row, cell, ',')) values.push_back(std::stof(cell));
    if (values.size() != 65) continue;
    pixels.insert(pixels.end(), values.begin(), values.end() - 1);
    labels.push_back(static_cast<int64_t>(values.back()));
  }
  gzclose(file);
  auto n = static_cast<int64_t>(labels.size());
  return {torch::tensor(pixels).reshape({n, 64}) / 16.0, torch::tensor(labels)};
}

// Two layers with a ReLU between them; copies share the layers.
struct Network {
  explicit Network(int64_t hidden) : layer1(64, hidden), layer2(hidden, 10) {}
  torch::Tensor logits(const torch::Tensor& input) const {
    return layer2.ptr()->forward(torch::relu(layer1.ptr()->forward(input)));
  }
  std::vector<torch::Tensor> weights() const { return {layer1->weight, layer1->bias, layer2->weight, layer2->bias}; }
  torch::nn::Linear layer1, layer2;
};

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "examples/data/digits.csv.gz";
  int n_trials = argc > 2 ? std::stoi(argv[2]) : 8;
  int epochs = argc > 3 ? std::stoi(argv[3]) : 30;
  auto [x, y] = read_digits(path);
  torch::manual_seed(0);
  auto split = torch::randperm(x.size(0));
  int64_t n_valid = x.size(0) / 4;
  auto x_valid = x.index_select(0, split.slice(0, 0, n_valid)), y_valid = y.index_select(0, split.slice(0, 0, n_valid));
  auto x_train = x.index_select(0, split.slice(0, n_valid)), y_train = y.index_select(0, split.slice(0, n_valid));

  auto sampler = std::make_shared<hpo::HypergradientSampler>(
      hpo::HypergradientSamplerOptions().n_startup_trials(3).seed(1));
  hpo::Study study =
      hpo::create_study(hpo::open_storage(), hpo::StudyOptions().study_name("mlp-weight-decay").sampler(sampler));
  study.optimize(
      [&](hpo::Trial& trial) {
        torch::manual_seed(trial.number());
        hpo::HyperTrial hyper(trial);
        int64_t hidden = trial.suggest_int("hidden", 16, 128, hpo::IntOptions().step(16));
        // One weight decay per layer: a vector hyperparameter stored as decay[0], decay[1].
        auto decay = hyper.suggest_hyperparameter("decay", 1e-6, 1e-1, hpo::HyperparameterOptions().log(true).size(2));
        // SGD's learning rate: each run's optimizer starts with it, and the HyperTrial sets
        // the refined value of later runs.
        const double learning_rate = hyper.suggest_learning_rate("lr", 1e-3, 0.5);
        // A batch is a tensor of row numbers; the loss of a batch depends on nothing else.
        auto problem_of = [&](const Network& net) {
          auto train_loss = [&, net](const hpo::hypergrad::Batch& batch) {
            const torch::Tensor& rows = batch.at(0);
            auto data_loss = torch::cross_entropy_loss(net.logits(x_train.index_select(0, rows)),
                                                       y_train.index_select(0, rows));
            auto d = decay.value();
            return data_loss + 0.5 * (d[0] * net.layer1->weight.pow(2).sum() + d[1] * net.layer2->weight.pow(2).sum());
          };
          auto val_loss = [&, net] { return torch::cross_entropy_loss(net.logits(x_valid), y_valid); };
          return hpo::hypergrad::Problem{net.weights(), {}, train_loss, val_loss};
        };
        auto sgd_for = [&](const Network& net) {
          return std::make_shared<torch::optim::SGD>(net.weights(),
                                                     torch::optim::SGDOptions(learning_rate).momentum(0.9));
        };
        auto for_each_batch = [&](const std::function<void(const hpo::hypergrad::Batch&)>& step) {
          for (int epoch = 0; epoch < epochs; ++epoch) {
            auto batch_order = torch::randperm(x_train.size(0));
            for (int64_t start = 0; start + 64 <= x_train.size(0); start += 64) step({batch_order.slice(0, start, start + 64)});
          }
        };
        // Every run starts from the same weights and batch order (next_round() puts the
        // generator back), so the runs' values compare the hyperparameters alone.
        while (hyper.next_round()) {
          const Network net(hidden);
          auto& optimizer = hyper.make_optimizer(problem_of(net), sgd_for(net));
          for_each_batch([&](const hpo::hypergrad::Batch& batch) { optimizer.step(batch); });
        }
        // The best run's validation loss: trained with the stored params frozen.
        return hyper.value();
      },
      hpo::OptimizeOptions().n_trials(n_trials));

  for (const auto& t : study.trials()) {
    std::cout << "trial " << t.number << " (" << t.system_attrs.at("hybrid:mode").get<std::string>() << ") "
              << hpo::to_string(t.state);
    if (t.state == hpo::TrialState::Complete) std::cout << " validation loss " << t.value();
    std::cout << "  hidden=" << t.params.at("hidden") << " lr=" << t.params.at("lr") << " decay=["
              << t.params.at("decay[0]") << ", " << t.params.at("decay[1]") << "]\n";
  }
  hpo::FrozenTrial best = study.best_trial();
  std::cout << "best: trial " << best.number << ", validation cross-entropy " << best.value() << "\n";
  return 0;
}
