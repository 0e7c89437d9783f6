// Hypergradients against closed forms, finite differences and exact unrolling.
// Everything in float64.

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <memory>

#include "ridge.hpp"

namespace hpo::hypergrad {
namespace {

using testing::evaluate;
using testing::half_mse;
using testing::make_ridge_data;
using testing::relative_error;
using testing::Ridge;

std::shared_ptr<torch::optim::SGD> sgd_for(const torch::Tensor& w, double lr, double momentum = 0) {
  return std::make_shared<torch::optim::SGD>(std::vector<torch::Tensor>{w},
                                             torch::optim::SGDOptions(lr).momentum(momentum));
}

// A ridge problem with H's condition number near 7 and w at the closed-form optimum.
Ridge ridge_at_optimum() {
  Ridge ridge(make_ridge_data(400, 300, {1.0, 0.8, 0.6, 1.4, 0.5, 1.2}, 0.5, 7),
              torch::tensor({0.05, 0.1, 0.02, 0.2, 0.08, 0.03}, torch::kFloat64));
  ridge.set_weights(ridge.optimum());
  return ridge;
}

double largest_eigenvalue(const torch::Tensor& symmetric) {
  return torch::linalg::eigvalsh(symmetric, "L").max().item<double>();
}

// d L_V(w_S)/dθ for w_{s+1} = w_s − α ∇_w L_T(w_s, λ(θ)), w_0 = the current weights, with
// the ridge gradient written out by hand (independent of the engine).
torch::Tensor unrolled_sgd_hypergradient(const Ridge& ridge, double alpha, int64_t steps) {
  const torch::Tensor& x = ridge.data.train_x;
  const torch::Tensor a = x.t().mm(x) / x.size(0);
  const torch::Tensor b = x.t().mv(ridge.data.train_y) / x.size(0);
  const torch::Tensor lambda = ridge.penalty.value();
  torch::Tensor w = ridge.w.detach();
  for (int64_t s = 0; s < steps; ++s) w = w - alpha * (a.mv(w) - b + lambda * w);
  const torch::Tensor loss = half_mse(ridge.data.val_x, ridge.data.val_y, w);
  return torch::autograd::grad({loss}, {ridge.penalty.theta()})[0];
}

// ---- Test 1: ridge at the closed-form optimum -------------------------------------------

TEST(RidgeClosedForm, ConjugateGradientMatchesClosedForm) {
  Ridge ridge = ridge_at_optimum();
  ConjugateGradient cg(ConjugateGradientOptions().tolerance(1e-14).max_iterations(50).warm_start(false));
  const HyperGradient result = evaluate(cg, ridge.problem(), *sgd_for(ridge.w, 0.1));
  const double error = relative_error(result.d_theta[0], ridge.closed_form_hypergradient());
  std::cout << "cg relative error vs closed form: " << error << " after "
            << cg.last_iterations() << " iterations\n";
  EXPECT_LT(error, 1e-6);
  EXPECT_EQ(cg.curvature_guard_hits(), 0);
}

TEST(RidgeClosedForm, NeumannErrorShrinksWithTerms) {
  Ridge ridge = ridge_at_optimum();
  const double alpha = 1.0 / largest_eigenvalue(ridge.hessian());
  const torch::Tensor truth = ridge.closed_form_hypergradient();
  double previous = INFINITY;
  for (const int64_t terms : {0, 1, 5, 20, 100}) {
    Neumann neumann(NeumannOptions().terms(terms).alpha(alpha));
    const HyperGradient result = evaluate(neumann, ridge.problem(), *sgd_for(ridge.w, 0.1));
    const double error = relative_error(result.d_theta[0], truth);
    std::cout << "neumann K=" << terms << " alpha=" << alpha << " relative error " << error << "\n";
    EXPECT_LT(error, previous) << "K=" << terms;
    previous = error;
  }
  EXPECT_LT(previous, 1e-3);
}

TEST(RidgeClosedForm, NeumannEqualsDifferentiatingSgdStepsFromOptimum) {
  Ridge ridge = ridge_at_optimum();
  const double alpha = 0.7 / largest_eigenvalue(ridge.hessian());
  for (const int64_t terms : {0, 1, 2, 3, 10}) {
    Neumann neumann(NeumannOptions().terms(terms).alpha(alpha));
    const HyperGradient result = evaluate(neumann, ridge.problem(), *sgd_for(ridge.w, 0.1));
    const torch::Tensor unrolled = unrolled_sgd_hypergradient(ridge, alpha, terms + 1);
    EXPECT_LT(relative_error(result.d_theta[0], unrolled), 1e-10) << "K=" << terms;
  }
}

TEST(RidgeClosedForm, T1T2EqualsOneStepUnroll) {
  Ridge ridge = ridge_at_optimum();
  const double eta = 0.3;
  T1T2 t1t2;
  const HyperGradient result = evaluate(t1t2, ridge.problem(), *sgd_for(ridge.w, eta));
  EXPECT_LT(relative_error(result.d_theta[0], unrolled_sgd_hypergradient(ridge, eta, 1)), 1e-12);
}

TEST(RidgeClosedForm, T1T2LearningRateGradientIsOneStepLookahead) {
  // Away from the optimum: df/dη of L_V(w − η ∇_w L_T(w)) at η → 0 is −∇L_V·∇L_T.
  Ridge ridge = ridge_at_optimum();
  ridge.set_weights(ridge.optimum() + 0.3);
  T1T2 t1t2;
  const HyperGradient result = evaluate(t1t2, ridge.problem(), *sgd_for(ridge.w, 0.1));
  const torch::Tensor eta = torch::zeros({}, torch::kFloat64).requires_grad_(true);
  const torch::Tensor g = torch::autograd::grad({ridge.train_loss()}, {ridge.w})[0];
  const torch::Tensor lookahead = half_mse(ridge.data.val_x, ridge.data.val_y, ridge.w.detach() - eta * g);
  const double expected = torch::autograd::grad({lookahead}, {eta})[0].item<double>();
  ASSERT_TRUE(result.learning_rate.has_value());
  EXPECT_NEAR(*result.learning_rate, expected, 1e-12 * std::abs(expected));
  EXPECT_NE(expected, 0.0);
}

// ---- Test 2: against finite differences of the trained validation loss ------------------

// Logistic regression with a per-feature L2 penalty, trained to machine precision by Newton.
struct Logistic {
  torch::Tensor x, y, val_x, val_y;
  torch::Tensor w;
  Hyperparameter penalty;

  Logistic()
      : penalty("penalty", torch::tensor({0.02, 0.1, 0.05, 0.3}, torch::kFloat64), 1e-6, 10, true) {
    torch::manual_seed(3);
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    const torch::Tensor beta = torch::tensor({1.5, -2.0, 0.5, 1.0}, f64);
    x = torch::randn({80, 4}, f64);
    val_x = torch::randn({60, 4}, f64);
    y = (torch::rand({80}, f64) < torch::sigmoid(x.mv(beta))).to(torch::kFloat64);
    val_y = (torch::rand({60}, f64) < torch::sigmoid(val_x.mv(beta))).to(torch::kFloat64);
    w = torch::zeros({4}, f64).requires_grad_(true);
  }

  torch::Tensor train_loss() const {
    return torch::binary_cross_entropy_with_logits(x.mv(w), y) + 0.5 * (penalty.value() * w * w).sum();
  }
  torch::Tensor val_loss() const { return torch::binary_cross_entropy_with_logits(val_x.mv(w), val_y); }
  Problem problem() const {
    return Problem{{w}, {penalty}, [this](const Batch&) { return train_loss(); }, [this] { return val_loss(); }};
  }
  torch::Tensor hessian() const {
    const torch::Tensor p = torch::sigmoid(x.mv(w.detach()));
    return x.t().mm(x * (p * (1 - p)).unsqueeze(1)) / x.size(0) + torch::diag(penalty.value().detach());
  }
  void train() {
    const torch::NoGradGuard no_grad;
    w.zero_();
    for (int iteration = 0; iteration < 30; ++iteration) {
      const torch::Tensor p = torch::sigmoid(x.mv(w));
      const torch::Tensor gradient = x.t().mv(p - y) / x.size(0) + penalty.value() * w;
      w.sub_(torch::linalg::solve(hessian(), gradient, true));
    }
  }
  // f(θ) = L_V(w*(θ)), by central differences in each θ_i.
  torch::Tensor finite_difference(double h) {
    torch::Tensor result = torch::zeros({4}, torch::kFloat64);
    for (int64_t i = 0; i < 4; ++i) {
      double sides[2];
      for (int side = 0; side < 2; ++side) {
        const double shift = side == 0 ? h : -2 * h;
        {
          const torch::NoGradGuard no_grad;
          penalty.theta()[i].add_(shift);
        }
        train();
        sides[side] = val_loss().item<double>();
      }
      {
        const torch::NoGradGuard no_grad;
        penalty.theta()[i].add_(h);
      }
      result[i] = (sides[0] - sides[1]) / (2 * h);
    }
    train();
    return result;
  }
};

TEST(FiniteDifferences, ImplicitMethodsMatchTrainedValidationLoss) {
  Logistic logistic;
  const torch::Tensor finite_difference = logistic.finite_difference(1e-5);
  logistic.train();
  const auto sgd = sgd_for(logistic.w, 0.1);

  ConjugateGradient cg(ConjugateGradientOptions().tolerance(1e-14).max_iterations(50));
  const double cg_error =
      relative_error(evaluate(cg, logistic.problem(), *sgd).d_theta[0], finite_difference);
  const double alpha = 1.0 / largest_eigenvalue(logistic.hessian());
  Neumann neumann(NeumannOptions().terms(400).alpha(alpha));
  const double neumann_error =
      relative_error(evaluate(neumann, logistic.problem(), *sgd).d_theta[0], finite_difference);
  std::cout << "vs finite differences: cg " << cg_error << ", neumann(K=400) " << neumann_error << "\n";
  EXPECT_LT(cg_error, 1e-6);
  EXPECT_LT(neumann_error, 1e-4);
}

// ---- Tests 3 and 4: trajectory methods ---------------------------------------------------

// Runs `steps` full-batch inner steps (one window) and returns the hypergradient of its
// hyper-step. The hyper learning rate is 0, so θ stays where it was.
HyperGradient one_window(HyperOptimizer& optimizer, int64_t steps) {
  for (int64_t s = 0; s < steps; ++s) optimizer.step();
  EXPECT_EQ(optimizer.hyper_steps(), 1);
  return optimizer.last_hypergradient();
}

double cosine(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.dot(b) / (a.norm() * b.norm())).item<double>();
}

TEST(DrMAD, CloseToUnrolledOnRidgeWithMomentum) {
  Ridge ridge(make_ridge_data(200, 200, {1.0, 0.5, 1.5, 0.8, 1.2, 0.3, 1.0, 0.7}, 0.5, 11),
              torch::full({8}, 0.05, torch::kFloat64));
  const torch::Tensor w0 = torch::zeros({8}, torch::kFloat64);
  const int64_t steps = 60;
  auto window = [&](std::unique_ptr<Method> method) {
    ridge.set_weights(w0);
    HyperOptimizer optimizer(ridge.problem(), sgd_for(ridge.w, 0.05, 0.9), std::move(method),
                             testing::every(steps).lr(0));
    return one_window(optimizer, steps).d_theta[0];
  };
  const torch::Tensor exact = window(std::make_unique<Unrolled>(UnrolledOptions().steps(0)));
  for (const int64_t points : {0, 30, 15}) {
    const torch::Tensor drmad = window(std::make_unique<DrMAD>(DrMADOptions().points(points)));
    const double similarity = cosine(drmad, exact);
    const double norm_ratio = (drmad.norm() / exact.norm()).item<double>();
    std::cout << "drmad(points=" << (points == 0 ? steps : points) << " of " << steps
              << ") vs unrolled, ridge, lr 0.05, momentum 0.9: cosine " << similarity
              << ", norm ratio " << norm_ratio << ", relative error " << relative_error(drmad, exact)
              << "\n";
    if (points == 0) {
      EXPECT_GT(similarity, 0.8);
    }
  }
}

TEST(DrMAD, EqualsUnrolledOnALinearPath) {
  // L_T = λ1 w1 + ½(1 + w1²) w2² + (λ2 − c) w1 w2 at λ2 = c: from w = (1, 0), plain SGD
  // moves w1 by −ηλ1 per step and keeps w2 = 0, so w_t = w_0 + (t/T)(w_T − w_0) exactly,
  // while H_22 = 1 + w1² and J_θ2 = (0, λ2 w1) vary along the path.
  const double c = 0.7;
  const torch::Tensor w = torch::tensor({1.0, 0.0}, torch::kFloat64).requires_grad_(true);
  const Hyperparameter slope("slope", 0.3, 1e-3, 10, true);
  const Hyperparameter coupling("coupling", c, 1e-3, 10, true);
  const BatchLoss train = [&](const Batch&) {
    const torch::Tensor w1 = w[0], w2 = w[1];
    return slope.value() * w1 + 0.5 * (1 + w1 * w1) * w2 * w2 + (coupling.value() - c) * w1 * w2;
  };
  const ValidationLoss val = [&] { return 0.5 * (w[0] + 0.5).pow(2) + 0.5 * (w[1] - 0.8).pow(2); };
  const torch::Tensor start = w.detach().clone();
  const int64_t steps = 10;
  auto window = [&](std::unique_ptr<Method> method) {
    {
      const torch::NoGradGuard no_grad;
      w.copy_(start);
    }
    HyperOptimizer optimizer(Problem{{w}, {slope, coupling}, train, val}, sgd_for(w, 0.1),
                             std::move(method), testing::every(steps).lr(0));
    const HyperGradient result = one_window(optimizer, steps);
    return torch::cat({result.d_theta[0].reshape(1), result.d_theta[1].reshape(1)});
  };
  const torch::Tensor exact = window(std::make_unique<Unrolled>());
  EXPECT_DOUBLE_EQ(w[1].item<double>(), 0.0);
  EXPECT_NEAR(w[0].item<double>(), 1.0 - steps * 0.1 * 0.3, 1e-12);
  const torch::Tensor drmad = window(std::make_unique<DrMAD>());
  std::cout << "linear path: unrolled " << exact << " drmad " << drmad << "\n";
  EXPECT_GT(std::abs(exact[1].item<double>()), 1e-3);  // the path-dependent part is non-trivial
  EXPECT_LT(relative_error(drmad, exact), 1e-12);
}

// Ridge trained by SGD with momentum on fixed minibatches; the window starts after warm-up
// steps, so it begins with a non-zero velocity.
struct MinibatchRun {
  static constexpr int64_t kBatch = 20;
  static constexpr int64_t kBatches = 6;
  static constexpr int64_t kWarmup = 4;
  static constexpr int64_t kWindow = 18;
  static constexpr double kLr = 0.05;
  static constexpr double kMomentum = 0.6;

  Ridge ridge{make_ridge_data(kBatch * kBatches, 100, {1.0, 0.6, 1.3, 0.9, 0.4}, 0.3, 5),
              torch::tensor({0.1, 0.05, 0.2, 0.02, 0.1}, torch::kFloat64)};
  torch::Tensor w0 = torch::randn({5}, torch::kFloat64);

  // A batch is the index of its block of rows.
  static Batch batch(int64_t step) { return {torch::tensor(step % kBatches)}; }
  Problem problem() const {
    Problem p = ridge.problem();
    p.train_loss = [this](const Batch& b) { return ridge.batch_loss(b.at(0).item<int64_t>(), kBatch); };
    return p;
  }
  std::shared_ptr<torch::optim::SGD> warmed_up_sgd() {
    ridge.set_weights(w0);
    auto sgd = sgd_for(ridge.w, kLr, kMomentum);
    for (int64_t s = 0; s < kWarmup; ++s) {
      sgd->zero_grad();
      problem().train_loss(batch(s)).backward();
      sgd->step();
    }
    return sgd;
  }
  // L_V after the window, run with plain torch::optim::SGD at (η, μ) and θ shifted by dθ.
  double validation_after_window(double lr, double momentum, const torch::Tensor& theta_shift) {
    auto sgd = warmed_up_sgd();
    const torch::Tensor theta = ridge.penalty.theta().detach().clone();
    {
      const torch::NoGradGuard no_grad;
      ridge.penalty.theta().add_(theta_shift);
    }
    auto& options = static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options());
    options.lr(lr).momentum(momentum);
    for (int64_t s = kWarmup; s < kWarmup + kWindow; ++s) {
      sgd->zero_grad();
      problem().train_loss(batch(s)).backward();
      sgd->step();
    }
    const double loss = ridge.val_loss().item<double>();
    const torch::NoGradGuard no_grad;
    ridge.penalty.theta().copy_(theta);
    return loss;
  }
};

TEST(Unrolled, LearningRateMomentumAndPenaltyGradientsMatchFiniteDifferences) {
  torch::manual_seed(1);
  MinibatchRun run;
  HyperOptimizer optimizer(run.problem(), run.warmed_up_sgd(), std::make_unique<Unrolled>(),
                           testing::every(MinibatchRun::kWindow).lr(0));
  optimizer.attach_learning_rate(Hyperparameter("lr", MinibatchRun::kLr, 1e-4, 1, true));
  optimizer.attach_momentum(Hyperparameter("momentum", MinibatchRun::kMomentum, 0, 0.99));
  for (int64_t s = MinibatchRun::kWarmup; s < MinibatchRun::kWarmup + MinibatchRun::kWindow; ++s) {
    optimizer.step(run.batch(s));
  }
  ASSERT_EQ(optimizer.hyper_steps(), 1);
  const HyperGradient& result = optimizer.last_hypergradient();

  const double h = 1e-6;
  const torch::Tensor no_shift = torch::zeros({5}, torch::kFloat64);
  const double lr_fd = (run.validation_after_window(MinibatchRun::kLr + h, MinibatchRun::kMomentum, no_shift) -
                        run.validation_after_window(MinibatchRun::kLr - h, MinibatchRun::kMomentum, no_shift)) /
                       (2 * h);
  const double momentum_fd =
      (run.validation_after_window(MinibatchRun::kLr, MinibatchRun::kMomentum + h, no_shift) -
       run.validation_after_window(MinibatchRun::kLr, MinibatchRun::kMomentum - h, no_shift)) /
      (2 * h);
  torch::Tensor penalty_fd = torch::zeros({5}, torch::kFloat64);
  for (int64_t i = 0; i < 5; ++i) {
    const torch::Tensor shift = torch::zeros({5}, torch::kFloat64).index_put_({i}, h);
    penalty_fd[i] = (run.validation_after_window(MinibatchRun::kLr, MinibatchRun::kMomentum, shift) -
                     run.validation_after_window(MinibatchRun::kLr, MinibatchRun::kMomentum, -shift)) /
                    (2 * h);
  }
  std::cout << "unrolled df/dlr " << *result.learning_rate << " (finite differences " << lr_fd
            << "), df/dmomentum " << *result.momentum << " (" << momentum_fd << ")\n";
  ASSERT_TRUE(result.learning_rate && result.momentum);
  EXPECT_NEAR(*result.learning_rate, lr_fd, 1e-6 * std::abs(lr_fd));
  EXPECT_NEAR(*result.momentum, momentum_fd, 1e-6 * std::abs(momentum_fd));
  EXPECT_LT(relative_error(result.d_theta[0], penalty_fd), 1e-6);
}

// A batch source with state (a generator drawing random rows) feeds step(batch); the
// unrolled method must differentiate the batches training used, which it recorded, and
// not draw new ones. Checked against an unroll written out with autograd.
TEST(Unrolled, ReplaysTheBatchesOfAStatefulSourceExactly) {
  Ridge ridge(make_ridge_data(120, 80, {1.0, 0.6, 1.3, 0.9}, 0.3, 8), torch::full({4}, 0.1, torch::kFloat64));
  const int64_t steps = 12, rows = 16;
  const double lr = 0.05, momentum = 0.5;
  Problem problem = ridge.problem();
  problem.train_loss = [&ridge](const Batch& b) {
    const torch::Tensor x = ridge.data.train_x.index_select(0, b.at(0));
    const torch::Tensor y = ridge.data.train_y.index_select(0, b.at(0));
    return half_mse(x, y, ridge.w) + 0.5 * (ridge.penalty.value() * ridge.w * ridge.w).sum();
  };
  auto generator = at::make_generator<at::CPUGeneratorImpl>(42);
  auto next_batch = [&] { return Batch{torch::randint(120, {rows}, generator, torch::kLong)}; };

  std::vector<Batch> used;
  HyperOptimizer optimizer(problem, sgd_for(ridge.w, lr, momentum), std::make_unique<Unrolled>(),
                           testing::every(steps).lr(0));
  const torch::Tensor w0 = ridge.w.detach().clone();
  for (int64_t s = 0; s < steps; ++s) {
    used.push_back(next_batch());
    optimizer.step(used.back());
  }
  ASSERT_EQ(optimizer.hyper_steps(), 1);

  // By hand: v ← μv + ∇L_T(w; batch_t), w ← w − ηv, kept differentiable in θ.
  torch::Tensor w = w0.clone().requires_grad_(true), velocity = torch::zeros_like(w0);
  torch::Tensor current = w;
  for (const Batch& b : used) {
    const torch::Tensor x = ridge.data.train_x.index_select(0, b.at(0));
    const torch::Tensor y = ridge.data.train_y.index_select(0, b.at(0));
    const torch::Tensor loss = half_mse(x, y, current) + 0.5 * (ridge.penalty.value() * current * current).sum();
    const torch::Tensor g = torch::autograd::grad({loss}, {current}, {}, true, true)[0];
    velocity = momentum * velocity + g;
    current = current - lr * velocity;
  }
  const torch::Tensor by_hand =
      torch::autograd::grad({half_mse(ridge.data.val_x, ridge.data.val_y, current)}, {ridge.penalty.theta()})[0];
  EXPECT_LT(relative_error(optimizer.last_hypergradient().d_theta[0], by_hand), 1e-10);
}

// A user's schedule changes η and μ inside a window (here the learning rate decays and
// the momentum ramps up, step by step): each reversed step must use the η_t and μ_t it was
// taken with.
double scheduled_learning_rate(int64_t t) { return 0.08 * std::pow(0.85, static_cast<double>(t)); }
double scheduled_momentum(int64_t t) { return std::min(0.9, 0.3 + 0.1 * static_cast<double>(t)); }

// One window of `steps` full-batch steps from the weights `w` has now, on that schedule.
HyperGradient scheduled_window(const Problem& problem, const torch::Tensor& w, std::unique_ptr<Method> method,
                               int64_t steps) {
  auto sgd = sgd_for(w, scheduled_learning_rate(0), scheduled_momentum(0));
  HyperOptimizer optimizer(problem, sgd, std::move(method), testing::every(steps).lr(0));
  for (int64_t t = 0; t < steps; ++t) {
    static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options())
        .lr(scheduled_learning_rate(t))
        .momentum(scheduled_momentum(t));
    optimizer.step();
  }
  EXPECT_EQ(optimizer.hyper_steps(), 1);
  return optimizer.last_hypergradient();
}

TEST(Unrolled, FollowsALearningRateAndMomentumSchedule) {
  Ridge ridge(make_ridge_data(120, 80, {1.0, 0.6, 1.3, 0.9}, 0.3, 8), torch::full({4}, 0.1, torch::kFloat64));
  const int64_t steps = 12;
  const torch::Tensor w0 = ridge.w.detach().clone();
  const HyperGradient unrolled = scheduled_window(ridge.problem(), ridge.w, std::make_unique<Unrolled>(), steps);

  torch::Tensor current = w0.clone().requires_grad_(true), velocity = torch::zeros_like(w0);
  for (int64_t t = 0; t < steps; ++t) {
    const torch::Tensor loss = half_mse(ridge.data.train_x, ridge.data.train_y, current) +
                               0.5 * (ridge.penalty.value() * current * current).sum();
    const torch::Tensor g = torch::autograd::grad({loss}, {current}, {}, true, true)[0];
    velocity = scheduled_momentum(t) * velocity + g;
    current = current - scheduled_learning_rate(t) * velocity;
  }
  const torch::Tensor by_hand =
      torch::autograd::grad({half_mse(ridge.data.val_x, ridge.data.val_y, current)}, {ridge.penalty.theta()})[0];
  EXPECT_LT(relative_error(unrolled.d_theta[0], by_hand), 1e-10);
}

// L_T = ½‖Xw − y‖²/n + θ·w has the same H and J_θ at every w, so where DrMAD puts the
// weights of a reversed step does not matter: DrMAD must equal the unrolled method.
struct TiltedLeastSquares {
  TiltedLeastSquares() = default;
  TiltedLeastSquares(const TiltedLeastSquares&) = delete;  // the losses refer to this one's members

  testing::RidgeData data = make_ridge_data(120, 80, {1.0, 0.6, 1.3, 0.9}, 0.3, 8);
  torch::Tensor w = torch::zeros({4}, torch::kFloat64).requires_grad_(true);
  Hyperparameter tilt{"tilt", torch::full({4}, 0.1, torch::kFloat64), -1, 1};
  Problem problem{{w},
                  {tilt},
                  [this](const Batch&) { return half_mse(data.train_x, data.train_y, w) + (tilt.value() * w).sum(); },
                  [this] { return half_mse(data.val_x, data.val_y, w); }};

  // Training starts again from w = 0.
  const torch::Tensor& restart() {
    const torch::NoGradGuard no_grad;
    w.zero_();
    return w;
  }
};

// Also when η and μ change from step to step.
TEST(DrMAD, FollowsALearningRateAndMomentumSchedule) {
  TiltedLeastSquares lsq;
  const int64_t steps = 12;
  auto window = [&](std::unique_ptr<Method> method) {
    return scheduled_window(lsq.problem, lsq.restart(), std::move(method), steps).d_theta[0];
  };
  const torch::Tensor unrolled = window(std::make_unique<Unrolled>());
  EXPECT_LT(relative_error(window(std::make_unique<DrMAD>()), unrolled), 1e-10);
}

// Before training is first stationary, an implicit method's greedy hyper-steps with
// greedy_horizon n differentiate the last n steps of the run so far, not the last step: on
// a tilted least-squares problem (DrMAD exact) and with λ held still (hyper lr 0), the
// greedy hypergradient after 40 steps is the unrolled one through all 40 steps from w = 0.
TEST(DrMAD, GreedyHorizonDifferentiatesTheRunSoFar) {
  TiltedLeastSquares lsq;
  const int64_t steps = 40;
  auto greedy = [&](int64_t horizon) {
    // A learning rate this small leaves training far from stationary: every other check steps greedily.
    HyperOptimizer optimizer(lsq.problem, sgd_for(lsq.restart(), 1e-3, 0.5), make_method("cg"),
                             HyperOptimizerOptions().lr(0).greedy_horizon(horizon));
    for (int64_t t = 0; t < steps; ++t) optimizer.step();
    EXPECT_EQ(optimizer.greedy_steps(), 2) << "horizon " << horizon;
    EXPECT_EQ(optimizer.hyper_steps(), 2) << "horizon " << horizon;
    return optimizer.last_hypergradient().d_theta[0].clone();
  };
  HyperOptimizer whole_run(lsq.problem, sgd_for(lsq.restart(), 1e-3, 0.5), make_method(UnrolledOptions().steps(0)),
                           HyperOptimizerOptions().inner_steps(steps + 1).lr(0));
  for (int64_t t = 0; t < steps; ++t) whole_run.step();
  const torch::Tensor unrolled = whole_run.hyper_step().d_theta[0].clone();

  EXPECT_LT(relative_error(greedy(steps), unrolled), 1e-10);
  EXPECT_GT(relative_error(greedy(1), unrolled), 0.5) << "T1-T2 sees the last step alone";
  EXPECT_THROW(HyperOptimizer(lsq.problem, sgd_for(lsq.w, 1e-3), make_method("cg"),
                              HyperOptimizerOptions().greedy_horizon(0)),
               ValueError);
}

TEST(Unrolled, EmptyWindowThrows) {
  Ridge ridge = ridge_at_optimum();
  for (const std::string name : {"unrolled", "drmad"}) {
    HyperOptimizer optimizer(ridge.problem(), sgd_for(ridge.w, 0.1), make_method(name));
    EXPECT_THROW(optimizer.hyper_step(), ValueError) << name << ": no inner step to differentiate";
    optimizer.step();
    EXPECT_NO_THROW(optimizer.hyper_step()) << name;
    EXPECT_THROW(optimizer.hyper_step(), ValueError) << name << ": the window ended at the last hyper-step";
  }
}

}  // namespace
}  // namespace hpo::hypergrad
