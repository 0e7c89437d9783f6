// Cost and accuracy of the hypergradient methods (a benchmark: prints, asserts nothing).
//
//   hypergrad_cost [cost|accuracy|drmad|all]
//
// cost:     time of one hyper-step divided by the time of one training step, for an MLP
//           784-256-256-10 (batch 128, synthetic data, one weight decay per layer) and for
//           ridge regression (784 features, batch 128, one penalty per feature), next to
//           the backward passes the method needs (T1-T2 3, Neumann K+3, CG iterations+3,
//           DrMAD and unrolled 2 per reversed step + 1). A training step is one forward and
//           one backward pass, so measured/expected near 1 means the hyper-step costs what
//           its backward passes cost.
// accuracy: relative error vs the closed form on ridge as Neumann terms / CG iterations grow.
// drmad:    DrMAD vs the exact unrolled hypergradient (cosine, norm ratio).

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hpo/hypergrad/hypergrad.hpp"

namespace hg = hpo::hypergrad;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// A model with its data: training batches by index, a fixed validation batch.
struct Workload {
  std::string name;
  std::vector<torch::Tensor> parameters;
  hg::Hyperparameter decay;
  std::function<torch::Tensor(int64_t)> batch_loss;
  hg::ValidationLoss val_loss;
  std::shared_ptr<void> keep_alive;  // the model and data the closures use

  // A batch is a 0-d tensor holding the batch index.
  static hg::Batch batch(int64_t index) { return {torch::tensor(index)}; }
  hg::Problem problem() const {
    auto loss = batch_loss;
    return hg::Problem{parameters, {decay}, [loss](const hg::Batch& b) { return loss(b.at(0).item<int64_t>()); },
                       val_loss};
  }
};

constexpr int64_t kBatch = 128;
constexpr int64_t kBatches = 8;

struct MlpData {
  torch::nn::Sequential net{torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Linear(256, 256),
                            torch::nn::ReLU(), torch::nn::Linear(256, 10)};
  torch::Tensor x = torch::randn({kBatches * kBatch, 784});
  torch::Tensor y = torch::randint(0, 10, {kBatches * kBatch});
  torch::Tensor val_x = torch::randn({kBatch, 784});
  torch::Tensor val_y = torch::randint(0, 10, {kBatch});
};

Workload mlp_workload() {
  auto data = std::make_shared<MlpData>();
  hg::Hyperparameter decay("layer_decay", torch::full({3}, 1e-4), 1e-8, 1, true);
  auto penalty = [data, decay] {
    const torch::Tensor l = decay.value();
    torch::Tensor total = torch::zeros({});
    for (int64_t layer = 0; layer < 3; ++layer) {
      total = total + l[layer] * data->net->ptr<torch::nn::LinearImpl>(2 * layer)->weight.pow(2).sum();
    }
    return 0.5 * total;
  };
  auto batch_loss = [data, penalty](int64_t batch) {
    const int64_t start = (batch % kBatches) * kBatch;
    return torch::cross_entropy_loss(data->net->forward(data->x.narrow(0, start, kBatch)),
                                     data->y.narrow(0, start, kBatch)) +
           penalty();
  };
  auto val_loss = [data] { return torch::cross_entropy_loss(data->net->forward(data->val_x), data->val_y); };
  return Workload{"mlp 784-256-256-10", data->net->parameters(), decay, batch_loss, val_loss, data};
}

struct RidgeData {
  torch::Tensor w = torch::zeros({784}).requires_grad_(true);
  torch::Tensor x = torch::randn({kBatches * kBatch, 784});
  torch::Tensor y = x.mv(torch::randn({784})) + torch::randn({kBatches * kBatch});
  torch::Tensor val_x = torch::randn({kBatch, 784});
  torch::Tensor val_y = torch::randn({kBatch});
};

Workload ridge_workload() {
  auto data = std::make_shared<RidgeData>();
  hg::Hyperparameter penalty("penalty", torch::full({784}, 1e-2), 1e-8, 100, true);
  auto batch_loss = [data, penalty](int64_t batch) {
    const int64_t start = (batch % kBatches) * kBatch;
    const torch::Tensor residual = data->x.narrow(0, start, kBatch).mv(data->w) - data->y.narrow(0, start, kBatch);
    return 0.5 * residual.pow(2).mean() + 0.5 * (penalty.value() * data->w * data->w).sum();
  };
  auto val_loss = [data] { return 0.5 * (data->val_x.mv(data->w) - data->val_y).pow(2).mean(); };
  return Workload{"ridge 784 features", {data->w}, penalty, batch_loss, val_loss, data};
}

std::shared_ptr<torch::optim::SGD> sgd_for(const Workload& workload, double lr, double momentum) {
  return std::make_shared<torch::optim::SGD>(workload.parameters, torch::optim::SGDOptions(lr).momentum(momentum));
}

// Median time of a few training steps (forward, backward, SGD update with lr 0 so the
// weights stay put), measured right before each hyper-step so that both see the same load.
double training_step_seconds(const Workload& workload, int64_t first_batch) {
  auto frozen_sgd = sgd_for(workload, 0, 0.9);
  std::vector<double> times;
  for (int64_t step = 0; step < 5; ++step) {
    const auto start = Clock::now();
    frozen_sgd->zero_grad();
    workload.batch_loss(first_batch + step).backward();
    frozen_sgd->step();
    times.push_back(seconds_since(start));
  }
  return median(times);
}

struct MethodConfig {
  std::string name;
  hg::Settings settings;
  int64_t window;  // inner steps before each timed hyper-step
};

struct Cost {
  double train_seconds = 0;
  double hyper_seconds = 0;
  double ratio = 0;  // hyper-step / training step, median over repeats
  double backward_passes = 0;
  double expected = 0;
};

// Expected backward passes from the method's own workload (CG's iteration count varies).
double expected_passes(const hg::Method& method, const MethodConfig& config) {
  auto setting = [&](const hg::Settings& list, const std::string& key) {
    for (const auto& [k, v] : list) if (k == key) return v;
    return 0.0;
  };
  if (config.name == "t1t2") return 3;
  if (config.name == "neumann") return setting(config.settings, "terms") + 3;
  if (config.name == "cg") return setting(method.diagnostics(), "iterations") + 3;
  const double reversed = config.name == "drmad" ? setting(config.settings, "points") : setting(config.settings, "steps");
  return 2 * (reversed > 0 ? reversed : static_cast<double>(config.window)) + 1;
}

Cost hyper_step_cost(const Workload& workload, const MethodConfig& config) {
  hg::HyperOptimizer optimizer(workload.problem(), sgd_for(workload, 0.01, 0.9),
                               hg::make_method(config.name, config.settings),
                               hg::HyperOptimizerOptions().inner_steps(1 << 30).lr(1e-4));
  std::vector<double> train_times, hyper_times, ratios, passes, expected;
  int64_t step = 0;
  for (int repeat = 0; repeat < 7; ++repeat) {
    for (int64_t s = 0; s < config.window; ++s, ++step) {
      optimizer.step(Workload::batch(step));
    }
    const double train = training_step_seconds(workload, step);
    const int64_t before = optimizer.counters().backward_passes;
    const auto start = Clock::now();
    optimizer.hyper_step();
    const double elapsed = seconds_since(start);
    if (repeat == 0) continue;  // warm-up (Neumann's curvature check, allocator)
    train_times.push_back(train);
    hyper_times.push_back(elapsed);
    ratios.push_back(elapsed / train);
    passes.push_back(static_cast<double>(optimizer.counters().backward_passes - before));
    expected.push_back(expected_passes(*optimizer.method(), config));
  }
  return Cost{median(train_times), median(hyper_times), median(ratios), median(passes), median(expected)};
}

void cost_table() {
  const std::vector<MethodConfig> configs{
      {"t1t2", {}, 1},
      {"neumann", {{"terms", 20}}, 1},
      {"cg", {{"max_iterations", 20}, {"tolerance", 1e-30}, {"warm_start", 0}}, 1},
      {"drmad", {{"points", 20}}, 20},
      {"unrolled", {{"steps", 20}}, 20}};
  std::printf("\n== cost of one hyper-step, in training steps (median of 6 repeats) ==\n");
  for (const Workload& workload : {mlp_workload(), ridge_workload()}) {
    std::printf("\n%s, batch %lld\n", workload.name.c_str(), static_cast<long long>(kBatch));
    std::printf("%-10s %-20s %10s %10s %10s %10s %10s %14s\n", "method", "settings", "train ms", "hyper ms",
                "measured", "expected", "counted", "meas/expected");
    for (const MethodConfig& config : configs) {
      const Cost cost = hyper_step_cost(workload, config);
      std::string settings;
      for (const auto& [key, value] : config.settings) {
        if (key == "tolerance" || key == "warm_start") continue;
        settings += key + "=" + std::to_string(static_cast<long long>(value)) + " ";
      }
      std::printf("%-10s %-20s %10.3f %10.2f %10.2f %10.0f %10.0f %14.2f\n", config.name.c_str(), settings.c_str(),
                  1e3 * cost.train_seconds, 1e3 * cost.hyper_seconds, cost.ratio, cost.expected,
                  cost.backward_passes, cost.ratio / cost.expected);
    }
  }
  std::printf("(measured = hyper-step time / training-step time; expected = backward passes by the\n"
              " cost table; counted = backward passes the engine counted; CG runs without warm start\n"
              " and its expected uses the iterations it actually made)\n");
}

// ---- accuracy vs K / CG iterations on ridge (float64, at the closed-form optimum) ----

void accuracy_table() {
  torch::manual_seed(0);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const int64_t n = 1000, d = 50;
  const torch::Tensor scales = torch::logspace(0, -1, d, 10, f64);  // feature scales 1 .. 0.1
  const torch::Tensor x = torch::randn({n, d}, f64) * scales;
  const torch::Tensor y = x.mv(torch::randn({d}, f64)) + 0.5 * torch::randn({n}, f64);
  const torch::Tensor val_x = torch::randn({n, d}, f64) * scales;
  const torch::Tensor val_y = val_x.mv(torch::randn({d}, f64)) + 0.5 * torch::randn({n}, f64);
  const hg::Hyperparameter penalty("penalty", torch::full({d}, 1e-2, f64), 1e-8, 1e8, true);
  const torch::Tensor w = torch::zeros({d}, f64).requires_grad_(true);

  const torch::Tensor lambda = penalty.value().detach();
  const torch::Tensor hessian = x.t().mm(x) / n + torch::diag(lambda);
  {
    const torch::NoGradGuard no_grad;
    w.copy_(torch::linalg::solve(hessian, x.t().mv(y) / n, true));
  }
  const torch::Tensor v = val_x.t().mv(val_x.mv(w.detach()) - val_y) / n;
  const torch::Tensor truth = -torch::linalg::solve(hessian, v, true) * lambda * w.detach();
  const torch::Tensor eigenvalues = torch::linalg::eigvalsh(hessian, "L");
  const double lambda_max = eigenvalues.max().item<double>();
  const double lambda_min = eigenvalues.min().item<double>();

  const hg::Problem problem{
      {w},
      {penalty},
      [&](const hg::Batch&) { return 0.5 * (x.mv(w) - y).pow(2).mean() + 0.5 * (penalty.value() * w * w).sum(); },
      [&] { return 0.5 * (val_x.mv(w) - val_y).pow(2).mean(); }};
  const double alpha = 1.0 / lambda_max;
  torch::optim::SGD sgd({w}, torch::optim::SGDOptions(alpha));
  auto error_of = [&](hg::Method& method) {
    hg::Counters counters;
    const hg::Batch full;
    const torch::Tensor estimate = method.hypergradient(hg::HyperStepContext{problem, sgd, full, counters}).d_theta[0];
    const double relative = ((estimate - truth).norm() / truth.norm()).item<double>();
    const double cosine = (estimate.dot(truth) / (estimate.norm() * truth.norm())).item<double>();
    return std::make_pair(relative, cosine);
  };

  std::printf("\n== accuracy on ridge, %lld features, condition number of H %.0f (float64) ==\n",
              static_cast<long long>(d), lambda_max / lambda_min);
  std::printf("%-26s %16s %10s\n", "method", "relative error", "cosine");
  {
    hg::T1T2 t1t2;
    const auto [relative, cosine] = error_of(t1t2);
    std::printf("%-26s %16.3e %10.6f\n", "t1t2 (eta = 1/lambda_max)", relative, cosine);
  }
  for (const int64_t terms : {0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}) {
    hg::Neumann neumann(hg::NeumannOptions().terms(terms).alpha(alpha));
    const auto [relative, cosine] = error_of(neumann);
    std::printf("neumann K=%-16lld %16.3e %10.6f\n", static_cast<long long>(terms), relative, cosine);
  }
  for (const int64_t iterations : {1, 2, 5, 10, 20, 30, 40, 50}) {
    hg::ConjugateGradient cg(
        hg::ConjugateGradientOptions().max_iterations(iterations).tolerance(1e-30).warm_start(false));
    const auto [relative, cosine] = error_of(cg);
    std::printf("cg iterations=%-12lld %16.3e %10.6f\n", static_cast<long long>(iterations), relative, cosine);
  }
}

// ---- DrMAD vs the exact unrolled hypergradient over one window ----

void drmad_table() {
  std::printf("\n== DrMAD vs unrolled over one window of SGD (lr 0.01, momentum 0.9), one fixed batch ==\n");
  std::printf("%-22s %8s %8s %10s %12s\n", "workload", "steps", "points", "cosine", "norm ratio");
  for (const Workload& workload : {mlp_workload(), ridge_workload()}) {
    const std::vector<torch::Tensor> start = [&] {
      std::vector<torch::Tensor> copy;
      for (const torch::Tensor& p : workload.parameters) copy.push_back(p.detach().clone());
      return copy;
    }();
    const int64_t steps = 20;
    auto window = [&](std::unique_ptr<hg::Method> method) {
      {
        const torch::NoGradGuard no_grad;
        for (size_t i = 0; i < start.size(); ++i) workload.parameters[i].copy_(start[i]);
      }
      hg::HyperOptimizer optimizer(workload.problem(), sgd_for(workload, 0.01, 0.9), std::move(method),
                                   hg::HyperOptimizerOptions().inner_steps(steps).stationarity_tolerance(INFINITY).lr(0));
      for (int64_t s = 0; s < steps; ++s) optimizer.step(Workload::batch(0));
      return optimizer.last_hypergradient().d_theta[0];
    };
    const torch::Tensor exact = window(std::make_unique<hg::Unrolled>(hg::UnrolledOptions().steps(0)));
    for (const int64_t points : {20, 10, 5}) {
      const torch::Tensor drmad = window(std::make_unique<hg::DrMAD>(hg::DrMADOptions().points(points)));
      std::printf("%-22s %8lld %8lld %10.4f %12.4f\n", workload.name.c_str(), static_cast<long long>(steps),
                  static_cast<long long>(points),
                  (drmad.dot(exact) / (drmad.norm() * exact.norm())).item<double>(),
                  (drmad.norm() / exact.norm()).item<double>());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "all";
  if (mode != "all" && mode != "cost" && mode != "accuracy" && mode != "drmad") {
    std::fprintf(stderr, "usage: %s [cost|accuracy|drmad|all]\n", argv[0]);
    return 2;
  }
  torch::manual_seed(0);
  std::printf("LibTorch CPU, %d threads\n", torch::get_num_threads());
  if (mode == "all" || mode == "cost") cost_table();
  if (mode == "all" || mode == "accuracy") accuracy_table();
  if (mode == "all" || mode == "drmad") drmad_table();
  return 0;
}
