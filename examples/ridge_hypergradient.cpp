// Per-feature L2 penalties on ridge regression, refined with the conjugate-gradient
// (HOAG) hypergradient. At the trained optimum the hypergradient has a closed form, printed
// next to what CG computes; then a few hyper-steps show the validation loss going down.
// Usage: ridge_hypergradient [--quick]
#include <torch/torch.h>

#include <cstring>
#include <iomanip>
#include <iostream>

#include "hpo/hypergrad/hypergrad.hpp"

namespace hg = hpo::hypergrad;

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  torch::manual_seed(0);
  const int64_t n = 200, d = 6;
  auto opts = torch::kFloat64;
  // Only the first three features matter; the rest is noise the penalties should damp.
  auto x_train = torch::randn({n, d}, opts), x_valid = torch::randn({n, d}, opts);
  auto w_true = torch::tensor({1.5, -2.0, 0.5, 0.0, 0.0, 0.0}, opts);
  auto y_train = x_train.mv(w_true) + torch::randn({n}, opts);
  auto y_valid = x_valid.mv(w_true) + torch::randn({n}, opts);

  // λ_i = e^{θ_i}: one penalty per feature, refined in log space within [1e-4, 10].
  hg::Hyperparameter penalty("l2", torch::full({d}, 0.1, opts), 1e-4, 10.0, /*log=*/true);
  auto w = torch::zeros({d}, opts).requires_grad_();
  // Full-batch training: the batch is empty and the loss uses the whole training set.
  auto train_loss = [&](const hg::Batch&) {
    return 0.5 * (x_train.mv(w) - y_train).pow(2).mean() + 0.5 * (penalty.value() * w * w).sum();
  };
  auto val_loss = [&] { return 0.5 * (x_valid.mv(w) - y_valid).pow(2).mean(); };

  // Start at the exact minimizer w* = (A + diag λ)⁻¹ b, A = XᵀX/n, b = Xᵀy/n.
  auto a = x_train.t().mm(x_train) / n, b = x_train.t().mv(y_train) / n;
  auto lambda = penalty.value().detach();
  {
    torch::NoGradGuard no_grad;
    w.copy_(torch::linalg::solve(a + torch::diag(lambda), b.unsqueeze(1), true).squeeze(1));
  }

  auto sgd = std::make_shared<torch::optim::SGD>(std::vector<torch::Tensor>{w},
                                                 torch::optim::SGDOptions(0.2).momentum(0.9));
  hg::HyperOptimizer optimizer({{w}, {penalty}, train_loss, val_loss}, sgd,
                               hg::make_method(hg::ConjugateGradientOptions().max_iterations(50).tolerance(1e-10)));

  // Closed form: dL_V/dθ_i = −[(A + diag λ)⁻¹ ∇_w L_V]_i · λ_i · w*_i.
  auto grad_v = x_valid.t().mv(x_valid.mv(w.detach()) - y_valid) / n;
  auto closed = -torch::linalg::solve(a + torch::diag(lambda), grad_v.unsqueeze(1), true).squeeze(1) * lambda *
                w.detach();
  auto cg = optimizer.hyper_step().d_theta[0];
  std::cout << "feature  closed form      conjugate gradient  relative error\n" << std::scientific
            << std::setprecision(6);
  for (int64_t i = 0; i < d; ++i) {
    double c = closed[i].item<double>(), g = cg[i].item<double>();
    std::cout << "  " << i << "     " << std::setw(14) << c << "  " << std::setw(14) << g << "      "
              << std::setprecision(2) << std::abs(g - c) / std::max(std::abs(c), 1e-300) << std::setprecision(6)
              << "\n";
  }

  std::cout << std::fixed << std::setprecision(5) << "\nvalidation loss " << val_loss().item<double>();
  // Hyper-steps happen where training is stationary again after each change of λ.
  for (int step = 0; step < (quick ? 300 : 2000); ++step) optimizer.step();
  std::cout << " -> " << optimizer.settle()->validation_loss << " after " << optimizer.hyper_steps()
            << " hyper-steps\npenalties:";
  for (double v : penalty.values()) std::cout << " " << std::setprecision(4) << v;
  std::cout << "\n";
  return 0;
}
