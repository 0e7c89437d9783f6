// A multilayer perceptron classifier: ReLU hidden layers, cross-entropy loss, an L2 weight
// decay per layer; learning rate, width and depth are tuned too. The decays and the
// learning rate are continuous hyperparameters of the HyperTrial, which whole runs refine.
#include <sstream>

#include "tasks/builtin_tasks.hpp"
#include "tasks/task.hpp"
#include "tasks/training.hpp"

namespace hpo::cli {

namespace {

constexpr std::int64_t kMinDepth = 1;
constexpr std::int64_t kMaxDepth = 3;
constexpr std::int64_t kMinWidth = 16;
constexpr std::int64_t kMaxWidth = 256;
constexpr double kMinLearningRate = 1e-3;
constexpr double kMaxLearningRate = 0.3;

// One decay per linear layer: `depth` hidden layers and the output layer.
LossHyperparameter weight_decay_per_layer(std::int64_t depth) {
  std::vector<std::string> layers;
  for (std::int64_t layer = 0; layer <= depth; ++layer) layers.push_back("layer_" + std::to_string(layer));
  return {"weight_decay", layers, "layer", 1e-6, 1e-1, true, "L2 penalty on the weights of one layer"};
}

Model perceptron(std::int64_t n_inputs, std::int64_t width, std::int64_t depth, std::int64_t n_classes,
                 HyperparameterValues decays) {
  torch::nn::Sequential network;
  std::vector<torch::Tensor> layer_weights;
  std::int64_t inputs = n_inputs;
  for (std::int64_t layer = 0; layer <= depth; ++layer) {
    const std::int64_t outputs = layer < depth ? width : n_classes;
    torch::nn::Linear linear(inputs, outputs);
    layer_weights.push_back(linear->weight);
    network->push_back(linear);
    if (layer < depth) network->push_back(torch::nn::ReLU());
    inputs = outputs;
  }
  Model model;
  model.weights = network->parameters();
  model.forward = [network](const torch::Tensor& x) mutable { return network->forward(x); };
  model.penalty = [layer_weights, decays] {
    const torch::Tensor decay = decays();
    torch::Tensor penalty = torch::zeros({});
    for (std::size_t layer = 0; layer < layer_weights.size(); ++layer) {
      penalty = penalty + 0.5 * decay[static_cast<std::int64_t>(layer)] * layer_weights[layer].pow(2).sum();
    }
    return penalty;
  };
  return model;
}

class MlpTask : public Task {
 public:
  MlpTask(const DataSplit& data, const TrainingSettings& settings)
      : settings_(settings), n_classes_(data.train.n_classes()) {
    check_classification_target("mlp", data.train);
    train_ = with_class_labels(data.train);
    valid_ = with_class_labels(data.valid);
    test_ = with_class_labels(data.test);
  }

  std::string objective() const override {
    return "validation loss: the mean cross-entropy of " + std::to_string(n_classes_) + " classes";
  }
  std::vector<std::string> hyperparameters() const override {
    std::ostringstream learning_rate, width, depth;
    learning_rate << "learning_rate: SGD step size (momentum " << settings_.momentum << "), log-uniform in ["
                  << kMinLearningRate << ", " << kMaxLearningRate << "], refined with the decays by a hybrid trial's whole runs";
    width << "hidden_size: units per hidden layer, integer log-uniform in [" << kMinWidth << ", " << kMaxWidth << "]";
    depth << "depth: hidden layers, integer in [" << kMinDepth << ", " << kMaxDepth << "]";
    return {weight_decay_per_layer(kMaxDepth).description() + " (depth + 1 of them are used)", learning_rate.str(),
            width.str(), depth.str()};
  }

  double run_trial(Trial& trial) override {
    seed_trial(settings_.seed, trial);
    const std::int64_t depth = trial.suggest_int("depth", kMinDepth, kMaxDepth);
    const std::int64_t width = trial.suggest_int("hidden_size", kMinWidth, kMaxWidth, IntOptions().log(true));
    TrainingOptions options;
    options.epochs = settings_.epochs;
    options.batch_size = settings_.batch_size;
    options.momentum = settings_.momentum;
    HyperTrial hyper(trial);
    options.learning_rate = hyper.suggest_learning_rate("learning_rate", kMinLearningRate, kMaxLearningRate);
    const HyperparameterValues decays = suggest_loss_hyperparameter(hyper, weight_decay_per_layer(depth));
    const TrainedTrial trained = train_trial(
        [&] { return perceptron(train_.features.size(1), width, depth, n_classes_, decays); }, cross_entropy,
        train_, valid_, options, hyper);
    record_metrics(trial, trained.model, cross_entropy, valid_, test_, /*classifier=*/true);
    return trained.value;
  }

 private:
  TrainingSettings settings_;
  std::int64_t n_classes_;
  TensorData train_, valid_, test_;
};

}  // namespace

std::unique_ptr<Task> make_mlp_task(const DataSplit& data, const TrainingSettings& settings) {
  return std::make_unique<MlpTask>(data, settings);
}

}  // namespace hpo::cli
