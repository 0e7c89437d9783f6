// Failure handling, edge cases, API contracts and end-to-end refinement of the
// hypergradient engine.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>

#include "ridge.hpp"

namespace hpo::hypergrad {
namespace {

using testing::evaluate;
using testing::make_ridge_data;
using testing::relative_error;
using testing::Ridge;

std::shared_ptr<torch::optim::SGD> sgd_for(const std::vector<torch::Tensor>& parameters, double lr,
                                           double momentum = 0) {
  return std::make_shared<torch::optim::SGD>(parameters, torch::optim::SGDOptions(lr).momentum(momentum));
}

Ridge small_ridge() {
  Ridge ridge(make_ridge_data(120, 80, {1.0, 0.7, 1.3, 0.5}, 0.5, 21),
              torch::tensor({0.1, 0.05, 0.2, 0.1}, torch::kFloat64));
  ridge.set_weights(ridge.optimum());
  return ridge;
}

bool all_finite(const HyperGradient& result) {
  for (const torch::Tensor& g : result.d_theta) {
    if (!torch::isfinite(g).all().item<bool>()) return false;
  }
  return std::isfinite(result.validation_loss);
}

using testing::every;

// Drives `steps` inner steps, with the batch of step s from `batch` (full batch by default).
void train(HyperOptimizer& optimizer, int64_t steps, const std::function<Batch(int64_t)>& batch = nullptr) {
  for (int64_t s = 0; s < steps; ++s) optimizer.step(batch ? batch(s) : Batch{});
}

// ---- Test 5: λ missing from L_V, from a batch; an MLP; divergence; indefinite Hessians -----

TEST(Robustness, HyperparameterUnusedEverywhereGetsZeroForEveryMethod) {
  for (const std::string& name : method_names()) {
    Ridge ridge = small_ridge();
    const Hyperparameter unused("unused", torch::full({3}, 0.5, torch::kFloat64), 0, 1);
    const Problem problem{{ridge.w}, {ridge.penalty, unused}, [&](const Batch&) { return ridge.train_loss(); },
                          [&] { return ridge.val_loss(); }};
    HyperOptimizer optimizer(problem, sgd_for({ridge.w}, 0.1), make_method(name), every(3));
    train(optimizer, 6);
    ASSERT_EQ(optimizer.hyper_steps(), 2) << name;
    const HyperGradient& result = optimizer.last_hypergradient();
    EXPECT_TRUE(all_finite(result)) << name;
    EXPECT_TRUE(result.d_theta[1].eq(0).all().item<bool>()) << name;
    EXPECT_GT(result.d_theta[0].abs().sum().item<double>(), 0) << name;
    EXPECT_EQ(unused.values(), std::vector<double>(3, 0.5)) << name;
  }
}

TEST(Robustness, HyperparameterAbsentFromABatch) {
  Ridge ridge = small_ridge();
  const Hyperparameter shift("shift", 0.01, 1e-4, 1, true);
  // The batch says whether the shift term is in it: {} has it, {anything} has not.
  const BatchLoss train_loss = [&](const Batch& batch) {
    const torch::Tensor loss = ridge.train_loss();
    return batch.empty() ? loss + shift.value() * ridge.w.sum() : loss;
  };
  const Problem problem{{ridge.w}, {ridge.penalty, shift}, train_loss, [&] { return ridge.val_loss(); }};
  const auto sgd = sgd_for({ridge.w}, 0.1);
  const Batch without_shift{torch::zeros({})};

  // A batch without the hyperparameter gives it a zero hypergradient, not a crash.
  for (const std::string name : {"t1t2", "neumann", "cg"}) {
    auto method = make_method(name);
    Counters counters;
    const HyperGradient without =
        method->hypergradient(HyperStepContext{problem, *sgd, without_shift, counters});
    EXPECT_TRUE(without.d_theta[1].eq(0).all().item<bool>()) << name;
    EXPECT_NE(evaluate(*method, problem, *sgd).d_theta[1].item<double>(), 0) << name;
  }
  // Alternating batches inside real runs, for every method.
  for (const std::string& name : method_names()) {
    HyperOptimizer optimizer(problem, sgd_for({ridge.w}, 0.1), make_method(name), every(4));
    train(optimizer, 12, [&](int64_t s) { return s % 2 == 0 ? Batch{} : without_shift; });
    EXPECT_EQ(optimizer.hyper_steps(), 3) << name;
    EXPECT_TRUE(all_finite(optimizer.last_hypergradient())) << name;
  }
}

// y = f(x) + noise regressed by a 5-16-1 tanh network in float32, with one weight decay
// per layer as a vector hyperparameter.
struct TwoLayerRegression {
  torch::nn::Sequential net{nullptr};
  torch::Tensor x, y, val_x, val_y;
  Hyperparameter decay{"layer_decay", torch::full({2}, 1e-2), 1e-6, 1, true};

  TwoLayerRegression() {
    torch::manual_seed(4);
    net = torch::nn::Sequential(torch::nn::Linear(5, 16), torch::nn::Tanh(), torch::nn::Linear(16, 1));
    x = torch::randn({96, 5});
    val_x = torch::randn({64, 5});
    y = torch::sin(x.sum(1, true)) + 0.1 * torch::randn({96, 1});
    val_y = torch::sin(val_x.sum(1, true));
  }
  torch::Tensor penalty() const {
    const torch::Tensor l = decay.value();
    const auto first = net->ptr<torch::nn::LinearImpl>(0);
    const auto second = net->ptr<torch::nn::LinearImpl>(2);
    return 0.5 * (l[0] * first->weight.pow(2).sum() + l[1] * second->weight.pow(2).sum());
  }
  // A batch is the index of its block of 16 rows.
  torch::Tensor batch_loss(const Batch& batch) {
    const int64_t block = batch.at(0).item<int64_t>() % 6;
    const torch::Tensor xb = x.narrow(0, block * 16, 16);
    const torch::Tensor yb = y.narrow(0, block * 16, 16);
    return torch::mse_loss(net->forward(xb), yb) + penalty();
  }
  Problem problem() {
    return Problem{net->parameters(), {decay}, [this](const Batch& b) { return batch_loss(b); },
                   [this] { return torch::mse_loss(net->forward(val_x), val_y); }};
  }
};

TEST(Robustness, TwoLayerMlpWithEveryMethod) {
  for (const std::string& name : method_names()) {
    TwoLayerRegression model;
    // Fifteen steps from the initialization the Hessian is indefinite: CG and Neumann find
    // their own damping there.
    HyperOptimizer optimizer(model.problem(), sgd_for(model.net->parameters(), 0.05, 0.5), make_method(name),
                             every(5).lr(0.01));
    if (optimizer.method()->differentiates_learning_rate()) {
      optimizer.attach_learning_rate(Hyperparameter("lr", 0.05, 1e-4, 1, true));
    }
    train(optimizer, 15, [](int64_t s) { return Batch{torch::tensor(s)}; });
    ASSERT_EQ(optimizer.hyper_steps(), 3) << name;
    EXPECT_TRUE(all_finite(optimizer.last_hypergradient())) << name;
    EXPECT_GT(optimizer.last_hypergradient().d_theta[0].abs().sum().item<double>(), 0) << name;
    EXPECT_NE(model.decay.values(), std::vector<double>(2, 1e-2)) << name;
    EXPECT_GE(optimizer.counters().backward_passes, 3 * 3) << name;
    if (name == "neumann") {
      const auto [key, raises] = optimizer.method()->diagnostics().back();
      EXPECT_EQ(key, "damping_raises");
      EXPECT_GE(raises, 1) << "the indefinite Hessian raised Neumann's damping";
    }
    if (optimizer.learning_rate()) {
      EXPECT_NE(optimizer.learning_rate()->values()[0], 0.05) << name;
    }
  }
}

double largest_eigenvalue(const torch::Tensor& symmetric) {
  return torch::linalg::eigvalsh(symmetric, "L").max().item<double>();
}

TEST(Robustness, DivergingNeumannIsDetectedAndReported) {
  Ridge ridge = small_ridge();
  const auto sgd = sgd_for({ridge.w}, 0.1);
  const double too_large = 5.0 / largest_eigenvalue(ridge.hessian());

  // Growth of the series terms is noticed even without the first-step curvature check.
  Neumann unchecked(NeumannOptions().terms(50).alpha(too_large).power_iterations(0).adapt_alpha(false));
  EXPECT_THROW(evaluate(unchecked, ridge.problem(), *sgd), DivergenceError);
  EXPECT_EQ(unchecked.divergences(), 1);

  // The power-iteration check catches it before any term is summed.
  Neumann checked(NeumannOptions().terms(50).alpha(too_large).adapt_alpha(false));
  try {
    evaluate(checked, ridge.problem(), *sgd);
    ADD_FAILURE() << "expected a DivergenceError";
  } catch (const DivergenceError& error) {
    EXPECT_NE(std::string(error.what()).find("alpha * (lambda_max + damping)"), std::string::npos) << error.what();
  }

  // With adapt_alpha, α drops to 1/λ_max and the answer is right.
  Neumann adapting(NeumannOptions().terms(200).alpha(too_large).power_iterations(0));
  const HyperGradient result = evaluate(adapting, ridge.problem(), *sgd);
  EXPECT_EQ(adapting.divergences(), 1);
  EXPECT_LT(adapting.alpha(), too_large / 4);
  EXPECT_LT(relative_error(result.d_theta[0], ridge.closed_form_hypergradient()), 1e-3);
  const Settings diagnostics = adapting.diagnostics();
  EXPECT_EQ(diagnostics[3], (std::pair<std::string, double>{"alpha_adaptations", 1}));
}

// Counts the warnings LibTorch issues while it is the handler.
class WarningCounter : public c10::WarningHandler {
 public:
  void process(const c10::SourceLocation&, const std::string&, const bool) override { ++count; }
  int count = 0;
};

TEST(Robustness, NeumannWarnsOnlyWhenTheAlphaItWasGivenIsAdapted) {
  Ridge ridge = small_ridge();
  const auto sgd = sgd_for({ridge.w}, 0.1);
  WarningCounter warnings;
  const c10::Warning::WarningHandlerGuard capture(&warnings);

  // α = 1/λ_max at the first hyper-step; then the curvature grows about sixfold, as an
  // MLP's does while it trains, and α follows it without a warning.
  Neumann automatic(NeumannOptions().terms(200));
  evaluate(automatic, ridge.problem(), *sgd);
  const double first_alpha = automatic.alpha();
  {
    const torch::NoGradGuard no_grad;
    ridge.penalty.theta().add_(std::log(50.0));
  }
  ridge.set_weights(ridge.optimum());
  const HyperGradient result = evaluate(automatic, ridge.problem(), *sgd);
  EXPECT_LT(automatic.alpha(), first_alpha / 3);
  EXPECT_EQ(automatic.diagnostics()[3], (std::pair<std::string, double>{"alpha_adaptations", 1}));
  EXPECT_LT(relative_error(result.d_theta[0], ridge.closed_form_hypergradient()), 1e-3);
  EXPECT_EQ(warnings.count, 0);

  // An α the user gave that makes the series diverge is worth telling them about.
  Neumann given(NeumannOptions().terms(200).alpha(5.0 / largest_eigenvalue(ridge.hessian())).power_iterations(0));
  evaluate(given, ridge.problem(), *sgd);
  EXPECT_EQ(warnings.count, 1);
}

TEST(Robustness, IndefiniteHessianIsDampedByCgAndNeumann) {
  // L_T = ½λ1 w1² − 5w2² + λ2 w2 has a saddle; v points mostly along the negative direction.
  const torch::Tensor w = torch::tensor({0.5, 0.2}, torch::kFloat64).requires_grad_(true);
  const Hyperparameter lambda("lambda", torch::tensor({0.5, 0.3}, torch::kFloat64), 1e-3, 10, true);
  const Problem problem{
      {w},
      {lambda},
      [&](const Batch&) { return 0.5 * lambda.value()[0] * w[0] * w[0] - 5 * w[1] * w[1] + lambda.value()[1] * w[1]; },
      [&] { return 0.5 * (w[0] - 1).pow(2) + 0.5 * (w[1] - 3).pow(2); }};
  const auto sgd = sgd_for({w}, 0.1);
  auto setting = [](const Settings& settings, const std::string& name) {
    for (const auto& [key, value] : settings)
      if (key == name) return value;
    ADD_FAILURE() << "no " << name;
    return 0.0;
  };

  // Without damping CG stops at the negative direction; with it, δ rises past the
  // curvature −10 and the damped system (H + δI)q = v is solved.
  ConjugateGradient guarded(ConjugateGradientOptions().adaptive_damping(false));
  EXPECT_TRUE(all_finite(evaluate(guarded, problem, *sgd)));
  EXPECT_EQ(guarded.curvature_guard_hits(), 1);
  ConjugateGradient cg;
  const HyperGradient result = evaluate(cg, problem, *sgd);
  EXPECT_GE(cg.curvature_guard_hits(), 1);
  EXPECT_TRUE(all_finite(result));
  EXPECT_GT(setting(cg.diagnostics(), "damping"), 10) << "δ above the negative curvature of 10";
  EXPECT_LT(cg.diagnostics()[1].second, 1e-3) << "the damped solve converged";

  // Neumann's series grows along the negative direction: without adaptive damping that
  // fails the hyper-step; with it, δ rises past 10 and enough terms sum to the same damped
  // solve as CG's with that δ.
  Neumann refusing(NeumannOptions().adaptive_damping(false));
  EXPECT_THROW(evaluate(refusing, problem, *sgd), DivergenceError);
  EXPECT_EQ(refusing.divergences(), 1);
  Neumann neumann(NeumannOptions().terms(4000));
  const HyperGradient damped = evaluate(neumann, problem, *sgd);
  const double damping = setting(neumann.diagnostics(), "damping");
  EXPECT_GT(damping, 10);
  EXPECT_GE(setting(neumann.diagnostics(), "damping_raises"), 1);
  ConjugateGradient exact(ConjugateGradientOptions().damping(damping).adaptive_damping(false).tolerance(1e-12));
  EXPECT_LT(relative_error(damped.d_theta[0], evaluate(exact, problem, *sgd).d_theta[0]), 1e-6);
}

TEST(Robustness, NeumannWithoutSgdTakesAlphaFromCurvature) {
  Ridge ridge = small_ridge();
  auto adam = std::make_shared<torch::optim::Adam>(std::vector<torch::Tensor>{ridge.w});
  Neumann neumann(NeumannOptions().terms(200));
  const HyperGradient result = evaluate(neumann, ridge.problem(), *adam);
  EXPECT_NEAR(neumann.alpha(), 1.0 / largest_eigenvalue(ridge.hessian()), 1e-3 * neumann.alpha());
  EXPECT_LT(relative_error(result.d_theta[0], ridge.closed_form_hypergradient()), 1e-3);
}

TEST(Failures, NonFiniteValidationLossThrowsAndKeepsTheta) {
  Ridge ridge = small_ridge();
  const Problem problem{{ridge.w}, {ridge.penalty}, [&](const Batch&) { return ridge.train_loss(); },
                        [&] { return ridge.val_loss() * std::numeric_limits<double>::quiet_NaN(); }};
  for (const std::string& name : method_names()) {
    HyperOptimizer optimizer(problem, sgd_for({ridge.w}, 0.1), make_method(name), every(2));
    const torch::Tensor before = ridge.penalty.theta().detach().clone();
    EXPECT_THROW(train(optimizer, 2), NonFiniteError) << name;
    EXPECT_TRUE(ridge.penalty.theta().equal(before)) << name;
  }
}

TEST(Failures, NonFiniteHypergradientThrowsNamingTheHyperparameter) {
  Ridge ridge = small_ridge();
  const torch::Tensor at_start = ridge.penalty.value().detach();
  // √(λ − λ₀) is 0 at the start, with an infinite derivative.
  const Problem problem{{ridge.w}, {ridge.penalty}, [&](const Batch&) { return ridge.train_loss(); },
                        [&] { return ridge.val_loss() + torch::sqrt(ridge.penalty.value() - at_start).sum(); }};
  HyperOptimizer optimizer(problem, sgd_for({ridge.w}, 0.1), make_method("cg"));
  try {
    optimizer.hyper_step();
    ADD_FAILURE() << "expected a NonFiniteError";
  } catch (const NonFiniteError& error) {
    EXPECT_NE(std::string(error.what()).find("'penalty'"), std::string::npos) << error.what();
  }
  EXPECT_EQ(optimizer.hyper_steps(), 0);
}

// A loop that clips the weights between steps trains something the methods do not model.
TEST(Failures, WeightsWrittenOutsideTheOptimizerThrowAtTheHyperStep) {
  for (const std::string name : {"cg", "unrolled"}) {
    Ridge ridge = small_ridge();
    HyperOptimizer optimizer(ridge.problem(), sgd_for({ridge.w}, 0.1), make_method(name), every(5));
    train(optimizer, 4);
    {
      const torch::NoGradGuard no_grad;
      ridge.w.clamp_(-0.01, 0.01);
    }
    try {
      train(optimizer, 1);
      ADD_FAILURE() << name << ": expected a ValueError";
    } catch (const ValueError& error) {
      EXPECT_NE(std::string(error.what()).find("changed between inner steps"), std::string::npos) << error.what();
    }
    EXPECT_EQ(optimizer.hyper_steps(), 0) << name;
  }
}

// ---- API contracts ---------------------------------------------------------------------

TEST(Contracts, HyperparameterValidatesAndProjects) {
  EXPECT_THROW(Hyperparameter("a", 0.5, 1, 0), ValueError);
  EXPECT_THROW(Hyperparameter("a", 0.5, 0, 1, true), ValueError);
  EXPECT_THROW(Hyperparameter("a", torch::tensor({1, 2}), 0, 5), ValueError);
  EXPECT_THROW(Hyperparameter("", 0.5, 0, 1), ValueError);
  try {
    Hyperparameter("weight_decay", 3.0, 1e-6, 1, true);
    ADD_FAILURE() << "expected a ValueError";
  } catch (const ValueError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("weight_decay"), std::string::npos) << message;
    EXPECT_NE(message.find("3"), std::string::npos) << message;
  }

  Hyperparameter decay("decay", torch::tensor({0.01, 0.1}, torch::kFloat64), 1e-3, 1, true);
  EXPECT_TRUE(decay.theta().requires_grad());
  EXPECT_NEAR(decay.theta()[0].item<double>(), std::log(0.01), 1e-15);
  Hyperparameter alias = decay;  // copies share θ
  {
    const torch::NoGradGuard no_grad;
    decay.theta().add_(torch::tensor({-10.0, 10.0}, torch::kFloat64));
  }
  decay.project();
  EXPECT_NEAR(alias.values()[0], 1e-3, 1e-15);
  EXPECT_NEAR(alias.values()[1], 1.0, 1e-15);

  // set_value writes λ through θ, for every copy, and projects it into the box.
  alias.set_value(torch::tensor({0.02, 2.0}, torch::kFloat64));
  EXPECT_NEAR(decay.values()[0], 0.02, 1e-15);
  EXPECT_NEAR(decay.values()[1], 1.0, 1e-15);
  EXPECT_NEAR(decay.theta()[0].item<double>(), std::log(0.02), 1e-15);
  EXPECT_THROW(decay.set_value(torch::tensor({0.02}, torch::kFloat64)), ValueError);
  EXPECT_THROW(decay.set_value(torch::tensor({0.02, 0.0}, torch::kFloat64)), ValueError) << "log scale";
  EXPECT_THROW(decay.set_value(torch::tensor({0.02, std::nan("")}, torch::kFloat64)), ValueError);
  EXPECT_NEAR(decay.values()[0], 0.02, 1e-15) << "a refused value leaves λ as it was";
}

TEST(Contracts, MethodsCheckTheInnerOptimizer) {
  Ridge ridge = small_ridge();
  auto adam = std::make_shared<torch::optim::Adam>(std::vector<torch::Tensor>{ridge.w});
  for (const std::string name : {"t1t2", "drmad", "unrolled"}) {
    EXPECT_THROW(HyperOptimizer(ridge.problem(), adam, make_method(name)), ValueError) << name;
  }
  auto nesterov = std::make_shared<torch::optim::SGD>(
      std::vector<torch::Tensor>{ridge.w}, torch::optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
  EXPECT_THROW(HyperOptimizer(ridge.problem(), nesterov, make_method("unrolled")), ValueError);
  EXPECT_NO_THROW(HyperOptimizer(ridge.problem(), adam, make_method("cg")));

  HyperOptimizer plain(ridge.problem(), adam);
  EXPECT_THROW(plain.hyper_step(), ValueError) << "without a method it only trains";
  plain.step();
  EXPECT_EQ(plain.hyper_steps(), 0);

  Problem from_optimizer = ridge.problem();
  from_optimizer.parameters.clear();
  EXPECT_EQ(HyperOptimizer(from_optimizer, adam, make_method("cg")).problem().parameters.size(), 1u)
      << "parameters default to the inner optimizer's";

  Problem duplicated = ridge.problem();
  duplicated.hyperparameters.push_back(ridge.penalty);
  EXPECT_THROW(HyperOptimizer(duplicated, adam, make_method("cg")), ValueError);
}

TEST(Contracts, OptionsOutOfRangeNameTheirValue) {
  Ridge ridge = small_ridge();
  const auto refuse = [&](const HyperOptimizerOptions& options, const std::string& expected) {
    try {
      HyperOptimizer optimizer(ridge.problem(), sgd_for({ridge.w}, 0.1), make_method("cg"), options);
      ADD_FAILURE() << "expected a ValueError mentioning " << expected;
    } catch (const ValueError& error) {
      EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
    }
  };
  refuse(HyperOptimizerOptions().value_tolerance(0), "value_tolerance must be > 0, got 0");
  refuse(HyperOptimizerOptions().inner_steps(0), "inner_steps must be >= 1, got 0");
  refuse(HyperOptimizerOptions().stationarity_decay(1.5), "stationarity_decay must be in (0, 1], got 1.5");
}

TEST(Contracts, LearningRateAndMomentumAttachOnlyWhereDifferentiable) {
  Ridge ridge = small_ridge();
  const Hyperparameter lr("lr", 0.1, 1e-3, 1, true);
  HyperOptimizer cg(ridge.problem(), sgd_for({ridge.w}, 0.1), make_method("cg"));
  EXPECT_THROW(cg.attach_learning_rate(lr), ValueError);
  HyperOptimizer t1t2(ridge.problem(), sgd_for({ridge.w}, 0.1), make_method("t1t2"));
  EXPECT_THROW(t1t2.attach_momentum(Hyperparameter("momentum", 0.5, 0, 0.99)), ValueError);
  EXPECT_THROW(t1t2.attach_learning_rate(Hyperparameter("lr", torch::full({2}, 0.1), 1e-3, 1)), ValueError);

  // Attached: the refined learning rate is what the inner SGD uses.
  auto sgd = sgd_for({ridge.w}, 0.5);
  HyperOptimizer optimizer(ridge.problem(), sgd, make_method("t1t2"), every(1).lr(0.5).update(HyperUpdate::SGD));
  optimizer.attach_learning_rate(Hyperparameter("lr", 0.05, 1e-3, 1, true));
  const auto inner_lr = [&] { return static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options()).lr(); };
  EXPECT_DOUBLE_EQ(inner_lr(), 0.05);
  ridge.set_weights(ridge.optimum() + 0.2);
  optimizer.step();
  EXPECT_DOUBLE_EQ(inner_lr(), optimizer.learning_rate()->values()[0]);
  EXPECT_NE(inner_lr(), 0.05);
  EXPECT_THROW(optimizer.attach_momentum(Hyperparameter("momentum", 0.5, 0, 0.99)), ValueError);
}

// A refined learning rate and a schedule would both write the optimizer's η, and the
// HyperOptimizer would silently replace the schedule's value at the next hyper-step.
TEST(Contracts, ARefinedLearningRateThatSomethingElseChangedThrows) {
  Ridge ridge = small_ridge();
  auto sgd = sgd_for({ridge.w}, 0.5);
  HyperOptimizer optimizer(ridge.problem(), sgd, make_method("t1t2"), every(1));
  optimizer.attach_learning_rate(Hyperparameter("lr", 0.05, 1e-3, 1, true));
  optimizer.step();
  static_cast<torch::optim::SGDOptions&>(sgd->param_groups()[0].options()).lr(0.025);
  try {
    optimizer.step();
    FAIL() << "expected hpo::ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("0.025"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'lr'"), std::string::npos) << e.what();
  }
}

TEST(Contracts, MakeMethodRoundTripsSettings) {
  const std::vector<std::pair<std::string, Settings>> configured{
      {"t1t2", {}},
      {"neumann",
       {{"terms", 7}, {"alpha", 0.02}, {"power_iterations", 3}, {"adapt_alpha", 0}, {"damping", 0.1},
        {"adaptive_damping", 0}}},
      {"cg",
       {{"max_iterations", 9}, {"tolerance", 1e-4}, {"tolerance_decay", 0.5}, {"warm_start", 0}, {"damping", 0.5},
        {"adaptive_damping", 0}}},
      {"drmad", {{"points", 4}, {"keep_window", 1}}},
      {"unrolled", {{"steps", 6}}}};
  for (const auto& [name, settings] : configured) {
    const auto method = make_method(name, settings);
    EXPECT_EQ(method->name(), name);
    EXPECT_EQ(method->settings(), settings) << name;
    EXPECT_EQ(make_method(name, method->settings())->settings(), settings) << name;
  }
  EXPECT_THROW(make_method("adam"), ValueError);
  EXPECT_THROW(make_method("neumann", {{"iterations", 3}}), ValueError);
  EXPECT_THROW(make_method("cg", {{"max_iterations", 2.5}}), ValueError);
  EXPECT_THROW(make_method("neumann", {{"terms", -1}}), ValueError);
  EXPECT_THROW(make_method("neumann", {{"alpha", 0}}), ValueError);
  EXPECT_EQ(hyper_update_from_name("adam"), HyperUpdate::Adam);
  EXPECT_THROW(hyper_update_from_name("rmsprop"), ValueError);
}

TEST(Contracts, CallbackReportsEveryHyperStepAndCanPrune) {
  Ridge ridge = small_ridge();
  HyperOptimizer optimizer(ridge.problem(), sgd_for({ridge.w}, 0.1), make_method("neumann"), every(2));
  std::vector<HyperStepReport> reports;
  optimizer.on_hyper_step([&](const HyperStepReport& report) {
    reports.push_back(report);
    if (report.step == 3) throw TrialPruned();
  });
  EXPECT_THROW(train(optimizer, 10), TrialPruned);
  ASSERT_EQ(reports.size(), 3u);
  for (size_t i = 0; i < reports.size(); ++i) {
    EXPECT_EQ(reports[i].step, static_cast<int64_t>(i + 1));
    EXPECT_TRUE(std::isfinite(reports[i].validation_loss));
    EXPECT_GT(reports[i].hypergradient_norm, 0);
  }
  EXPECT_GT(reports[2].hessian_vector_products, reports[0].hessian_vector_products);
}

TEST(Contracts, ClippingBoundsTheHyperStep) {
  Ridge ridge = small_ridge();
  ridge.set_weights(ridge.optimum() * 2);
  HyperOptimizer optimizer(ridge.problem(), sgd_for({ridge.w}, 0.1), make_method("cg"),
                           HyperOptimizerOptions().update(HyperUpdate::SGD).lr(1 / ridge.penalty.theta_range()).clip_norm(1e-3));
  const torch::Tensor before = ridge.penalty.theta().detach().clone();
  optimizer.hyper_step();
  const double moved = (ridge.penalty.theta().detach() - before).norm().item<double>();
  EXPECT_GT(optimizer.last_hypergradient().d_theta[0].norm().item<double>(), 1e-3);
  EXPECT_NEAR(moved, 1e-3, 1e-12);
}

// ---- Test 6: scalar λ end-to-end -----------------------------------------------------------

TEST(EndToEnd, ScalarPenaltyReachesGridOptimum) {
  // Whitened training features (XᵀX/n = I): H = (1 + λ)I is isotropic, so T1-T2's q = ηv
  // points like H⁻¹v and all three methods share the true optimum. (On anisotropic
  // features T1-T2's greedy fixed point sits a few tenths off in log λ.)
  const testing::RidgeData data =
      make_ridge_data(60, 400, std::vector<double>(15, 1.0), 3.0, 9, /*whitened=*/true);
  // Grid optimum of f(log λ) = L_V(w*(λ)) from the closed form.
  Ridge probe(data, torch::tensor(1.0, torch::kFloat64));
  double best_log_lambda = 0, best_loss = INFINITY;
  for (double log_lambda = -6; log_lambda <= 3; log_lambda += 0.01) {
    {
      const torch::NoGradGuard no_grad;
      probe.penalty.theta().fill_(log_lambda);
    }
    probe.set_weights(probe.optimum());
    const double loss = probe.val_loss().item<double>();
    if (loss < best_loss) best_loss = loss, best_log_lambda = log_lambda;
  }
  const double start = best_log_lambda - 4;
  std::cout << "grid optimum log(lambda) = " << best_log_lambda << ", start " << start << "\n";

  // Every HyperOptimizer default: hyper-steps at stationary points, a step of 5 % of the
  // box [1e-8, 1e8] (1.8 in log λ), halved whenever the validation loss got worse.
  for (const std::string name : {"t1t2", "neumann", "cg"}) {
    Ridge ridge(data, torch::tensor(std::exp(start), torch::kFloat64));
    HyperOptimizer optimizer(ridge.problem(), sgd_for({ridge.w}, 0.5), make_method(name));
    train(optimizer, 3000);
    const std::optional<StationaryPoint>& best = optimizer.settle();
    ASSERT_TRUE(best) << name;
    const double reached = std::log(best->values[0].item<double>());
    std::cout << name << ": log(lambda) " << start << " -> " << reached << " in " << optimizer.hyper_steps()
              << " hyper-steps (" << optimizer.deferred_checks() << " checks deferred)\n";
    EXPECT_NEAR(reached, best_log_lambda, 0.3) << name;
    EXPECT_NEAR(best->validation_loss, best_loss, 1e-3 * best_loss) << name;
  }
}

// Far from w*, the implicit function theorem does not describe training: hyper-steps wait.
TEST(Stationarity, HyperStepsWaitWhileTheTrainingGradientIsLarge) {
  Ridge ridge = small_ridge();
  ridge.set_weights(torch::zeros({4}, torch::kFloat64));
  // A tiny learning rate: after 30 steps w is still far from w*.
  HyperOptimizer slow(ridge.problem(), sgd_for({ridge.w}, 1e-3), make_method("cg"),
                      HyperOptimizerOptions().greedy_when_not_stationary(false));
  const torch::Tensor before = ridge.penalty.theta().detach().clone();
  train(slow, 30);
  EXPECT_EQ(slow.hyper_steps(), 0);
  EXPECT_EQ(slow.deferred_checks(), 3);
  EXPECT_TRUE(ridge.penalty.theta().equal(before)) << "λ does not move on a hypergradient taken far from w*";
  EXPECT_FALSE(slow.settle().has_value()) << "no stationary point, so no honest value for a moved λ";

  // The same problem trained well: the checks pass once ‖ḡ‖ fell below the first
  // tolerance (a share of its start).
  ridge.set_weights(torch::zeros({4}, torch::kFloat64));
  HyperOptimizer fast(ridge.problem(), sgd_for({ridge.w}, 0.5, 0.5), make_method("cg"),
                      HyperOptimizerOptions().greedy_when_not_stationary(false));
  std::vector<HyperStepReport> reports;
  fast.on_hyper_step([&](const HyperStepReport& report) { reports.push_back(report); });
  train(fast, 300);
  ASSERT_FALSE(reports.empty());
  EXPECT_GT(reports.front().deferred_checks, 0) << "training from w = 0 is not stationary at once";
  EXPECT_LE(reports.front().gradient_ratio, HyperOptimizerOptions().stationarity_tolerance());
}

// By default the checks that find no stationary point step on T1-T2's greedy
// hypergradient instead, and only the stationary ones use the implicit method.
TEST(Stationarity, GreedyStepsFillTheGapsBetweenStationaryPoints) {
  Ridge ridge = small_ridge();
  ridge.set_weights(torch::zeros({4}, torch::kFloat64));
  const torch::Tensor before = ridge.penalty.theta().detach().clone();
  HyperOptimizer slow(ridge.problem(), sgd_for({ridge.w}, 1e-3), make_method("cg"));
  train(slow, 40);
  // Check 1 sets the reference (nothing to compare with: defer); 2 finds training stalled
  // and steps greedily; 3 again has no earlier ratio of this λ; 4 steps.
  EXPECT_EQ(slow.greedy_steps(), 2);
  EXPECT_EQ(slow.hyper_steps(), 2);
  EXPECT_EQ(slow.deferred_checks(), 2);
  EXPECT_FALSE(ridge.penalty.theta().equal(before));
  EXPECT_FALSE(slow.settle().has_value()) << "greedy steps record no stationary point";

  ridge.set_weights(torch::zeros({4}, torch::kFloat64));
  // λ freezes after 5 hyper-steps so that training converges for it: the loose tolerance
  // of a hyper-step is not enough for a value (value_tolerance).
  HyperOptimizer fast(ridge.problem(), sgd_for({ridge.w}, 0.5, 0.5), make_method("cg"),
                      HyperOptimizerOptions().max_hyper_steps(5));
  std::vector<HyperStepReport> reports;
  fast.on_hyper_step([&](const HyperStepReport& report) { reports.push_back(report); });
  train(fast, 300);
  const auto implicit = std::find_if(reports.begin(), reports.end(), [](const HyperStepReport& r) { return !r.greedy; });
  ASSERT_NE(implicit, reports.end()) << "training reaches stationary points";
  EXPECT_LE(implicit->gradient_ratio, HyperOptimizerOptions().stationarity_tolerance());
  EXPECT_TRUE(std::none_of(implicit, reports.end(), [](const HyperStepReport& r) { return r.greedy; }))
      << "no greedy step after the first stationary point";
  ASSERT_TRUE(fast.value_point().has_value());
  EXPECT_EQ(fast.value_point()->hyper_step, 5);

  // An inner optimizer T1-T2 cannot model (Adam) defers instead.
  ridge.set_weights(torch::zeros({4}, torch::kFloat64));
  HyperOptimizer adam(ridge.problem(),
                      std::make_shared<torch::optim::Adam>(std::vector<torch::Tensor>{ridge.w},
                                                           torch::optim::AdamOptions(1e-4)),
                      make_method("cg"));
  train(adam, 40);
  EXPECT_EQ(adam.greedy_steps(), 0);
  EXPECT_EQ(adam.deferred_checks(), 4);
}

// Mini-batch gradients never vanish; a mean gradient within the noise counts as stationary.
TEST(Stationarity, MiniBatchTrainingReachesItsNoiseFloor) {
  Ridge ridge(make_ridge_data(200, 100, {1.0, 0.7, 1.3, 0.5}, 1.0, 3), torch::full({4}, 0.05, torch::kFloat64));
  Problem problem = ridge.problem();
  problem.train_loss = [&ridge](const Batch& b) { return ridge.batch_loss(b.at(0).item<int64_t>(), 10); };
  HyperOptimizer optimizer(problem, sgd_for({ridge.w}, 0.05, 0.5), make_method("cg"));
  train(optimizer, 2000, [](int64_t s) { return Batch{torch::tensor(s % 20)}; });
  EXPECT_GT(optimizer.hyper_steps(), 0);
}

// A loop that reshuffles its data every epoch passes a full batch as new tensors holding
// the same rows: still full-batch training, whose converged points are exact, not draws.
TEST(Stationarity, ReshuffledFullBatchIsNotTakenForMiniBatches) {
  Ridge ridge(make_ridge_data(200, 100, {1.0, 0.7, 1.3, 0.5}, 1.0, 3), torch::full({4}, 0.05, torch::kFloat64));
  Problem problem = ridge.problem();
  problem.train_loss = [&ridge](const Batch& b) {
    return testing::half_mse(b.at(0), b.at(1), ridge.w) + 0.5 * (ridge.penalty.value() * ridge.w * ridge.w).sum();
  };
  const auto rows = [&ridge](const torch::Tensor& order) {
    return Batch{ridge.data.train_x.index_select(0, order), ridge.data.train_y.index_select(0, order)};
  };
  HyperOptimizer reshuffled(problem, sgd_for({ridge.w}, 0.05, 0.5), make_method("cg"));
  train(reshuffled, 200, [&](int64_t) { return rows(torch::randperm(200)); });
  EXPECT_FALSE(reshuffled.mini_batches());

  HyperOptimizer quarters(problem, sgd_for({ridge.w}, 0.05, 0.5), make_method("cg"));
  train(quarters, 200, [&](int64_t) { return rows(torch::randperm(200).narrow(0, 0, 50)); });
  EXPECT_TRUE(quarters.mini_batches());
}

// At the noise floor L_V of an iterate is a draw from SGD's spread: the value is the latest
// converged point, because the lowest of many draws is the luckiest, not the best λ.
TEST(Stationarity, MiniBatchValueIsTheLatestConvergedPoint) {
  Ridge ridge(make_ridge_data(200, 100, {1.0, 0.7, 1.3, 0.5}, 1.0, 3), torch::full({4}, 0.05, torch::kFloat64));
  Problem problem = ridge.problem();
  problem.train_loss = [&ridge](const Batch& b) { return ridge.batch_loss(b.at(0).item<int64_t>(), 10); };
  HyperOptimizer optimizer(problem, sgd_for({ridge.w}, 0.05, 0.5), make_method("cg"),
                           HyperOptimizerOptions().max_hyper_steps(2));
  train(optimizer, 2000, [](int64_t s) { return Batch{torch::tensor(s % 20)}; });
  const std::optional<StationaryPoint> point = optimizer.settle();
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->hyper_step, 2);
  EXPECT_EQ(point->inner_step, 2000) << "the frozen λ converged at every check; the last one counts";
  EXPECT_DOUBLE_EQ(point->validation_loss, ridge.val_loss().item<double>());
}

}  // namespace
}  // namespace hpo::hypergrad
