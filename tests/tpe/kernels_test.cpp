// The Parzen estimator's kernels on small cases computed by hand from Optuna's rules.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "hpo/samplers/tpe_sampler.hpp"
#include "parzen_estimator.hpp"
#include "truncated_normal.hpp"

namespace hpo::tpe {
namespace {

ParzenOptions univariate() {
  ParzenOptions o;
  o.weights = default_weights;
  return o;
}

const NumericalKernels& numerical(const ParzenEstimator& e, std::size_t p = 0) {
  return std::get<NumericalKernels>(e.kernels(p));
}

TEST(TpeDefaults, GammaAndWeights) {
  EXPECT_EQ(default_gamma(0), 0);
  EXPECT_EQ(default_gamma(1), 1);
  EXPECT_EQ(default_gamma(10), 1);
  EXPECT_EQ(default_gamma(11), 2);
  EXPECT_EQ(default_gamma(249), 25);
  EXPECT_EQ(default_gamma(5000), 25);
  EXPECT_EQ(default_weights(3), (std::vector<double>{1, 1, 1}));
  // 30 observations: linspace(1/30, 1, 5) for the oldest five, then 25 ones.
  const auto w = default_weights(30);
  ASSERT_EQ(w.size(), 30u);
  const double first = 1.0 / 30, gap = (1 - first) / 4;
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(w[static_cast<std::size_t>(i)], first + i * gap, 1e-15);
  for (std::size_t i = 5; i < 30; ++i) EXPECT_EQ(w[i], 1.0);
  // 26: a ramp of one point, linspace(1/26, 1, 1) = {1/26}.
  const auto w26 = default_weights(26);
  EXPECT_DOUBLE_EQ(w26[0], 1.0 / 26);
  EXPECT_EQ(w26[1], 1.0);
}

TEST(ParzenEstimator, UnivariateWidthsUseFartherNeighbourNearerAtEndsAndMagicClip) {
  // Centres 0.1, 0.15, 0.9 and the prior's 0.5 on [0, 1]. Inner points take the farther
  // neighbour gap; the first and last sorted centres the inner-side gap (endpoints not
  // considered): 0.1 → 0.05, 0.15 → max(0.05, 0.35), 0.9 → 0.4; the clip raises 0.05 to
  // 1 / min(100, 1 + 4 kernels) = 0.2. The prior kernel has width 1 and centre 0.5.
  const ParzenEstimator e({{0.1, 0.15, 0.9}}, {{"x", FloatDistribution(0, 1)}}, univariate());
  const auto& k = numerical(e);
  EXPECT_EQ(k.mu, (std::vector<double>{0.1, 0.15, 0.9, 0.5}));
  ASSERT_EQ(k.sigma.size(), 4u);
  EXPECT_NEAR(k.sigma[0], 0.2, 1e-15);
  EXPECT_NEAR(k.sigma[1], 0.35, 1e-15);
  EXPECT_NEAR(k.sigma[2], 0.4, 1e-15);
  EXPECT_EQ(k.sigma[3], 1.0);
  // Weights 1, 1, 1 and the prior's 1, normalized.
  for (double w : e.weights()) EXPECT_DOUBLE_EQ(w, 0.25);
}

TEST(ParzenEstimator, ConsiderEndpointsAndNoClip) {
  ParzenOptions o = univariate();
  o.consider_endpoints = true;
  o.consider_magic_clip = false;
  const ParzenEstimator e({{0.1, 0.15, 0.9}}, {{"x", FloatDistribution(0, 1)}}, o);
  const auto& k = numerical(e);
  EXPECT_NEAR(k.sigma[0], 0.1, 1e-15);   // max(0.1 − 0, 0.15 − 0.1)
  EXPECT_NEAR(k.sigma[1], 0.35, 1e-15);
  EXPECT_NEAR(k.sigma[2], 0.4, 1e-15);   // max(0.9 − 0.5, 1 − 0.9)
}

TEST(ParzenEstimator, IntKernelsAreDiscretizedOnTheStepGridWithWidenedRange) {
  // Int on [0, 10] step 2: kernels on [0, 10] with grid 2, range 10 + 2 = 12. Centres 4 and
  // the prior's 5: sorted edges −1, 4, 5, 11 → 4 gets 5 − 4 = 1 (first point, inner gap),
  // clipped up to 12 / min(100, 1 + 2) = 4.
  const ParzenEstimator e({{4.0}}, {{"n", IntDistribution(0, 10, false, 2)}}, univariate());
  const auto& k = numerical(e);
  EXPECT_EQ(k.step, 2.0);
  EXPECT_EQ(k.low, 0.0);
  EXPECT_EQ(k.high, 10.0);
  EXPECT_EQ(k.sigma, (std::vector<double>{4.0, 12.0}));
  EXPECT_EQ(k.mu, (std::vector<double>{4.0, 5.0}));
}

TEST(ParzenEstimator, LogParametersLiveInLogSpace) {
  const ParzenEstimator f({{1.0}}, {{"lr", FloatDistribution(1e-3, 1e3, true)}}, univariate());
  const auto& k = numerical(f);
  EXPECT_NEAR(k.low, std::log(1e-3), 1e-12);
  EXPECT_NEAR(k.high, std::log(1e3), 1e-12);
  EXPECT_NEAR(k.mu[0], 0.0, 1e-15);
  EXPECT_NEAR(k.mu[1], 0.0, 1e-15);  // the prior's centre: log 1
  // A log int is continuous on [log(low − ½), log(high + ½)].
  const ParzenEstimator i({{4.0}}, {{"units", IntDistribution(1, 100, true)}}, univariate());
  EXPECT_NEAR(numerical(i).low, std::log(0.5), 1e-12);
  EXPECT_NEAR(numerical(i).high, std::log(100.5), 1e-12);
  EXPECT_EQ(numerical(i).step, 0.0);
}

TEST(ParzenEstimator, MultivariateWidthsFollowScottsRuleThenTheClip) {
  ParzenOptions o = univariate();
  o.multivariate = true;
  // 0.2 · n^(−1/(d+4)) · range with n = 4 observations, d = 2 parameters: 0.1587, below
  // the clip 1 / (1 + 5) = 0.1667. With n = 40: 0.2 · 40^(−1/6) = 0.1081 > 1/41.
  const OrderedSpace space{{"x", FloatDistribution(0, 1)}, {"y", FloatDistribution(0, 2)}};
  const ParzenEstimator small({{0.1, 0.2, 0.3, 0.4}, {0.1, 0.2, 0.3, 0.4}}, space, o);
  EXPECT_NEAR(numerical(small, 0).sigma[0], 1.0 / 6, 1e-15);
  EXPECT_NEAR(numerical(small, 1).sigma[0], 2.0 / 6, 1e-15);
  std::vector<double> forty(40, 0.5);
  const ParzenEstimator large({forty, forty}, space, o);
  EXPECT_NEAR(numerical(large, 0).sigma[0], 0.2 * std::pow(40.0, -1.0 / 6), 1e-15);
  EXPECT_NEAR(numerical(large, 1).sigma[0], 0.4 * std::pow(40.0, -1.0 / 6), 1e-15);
}

TEST(ParzenEstimator, CategoricalKernelsAddOneToTheObservedChoiceOverThePrior) {
  // Three choices, observations 0 and 2: three kernels, each row starts at 1/3 per choice.
  const ParzenEstimator e({{0.0, 2.0}}, {{"c", CategoricalDistribution({"a", "b", "c"})}}, univariate());
  const auto& k = std::get<CategoricalKernels>(e.kernels(0));
  const std::vector<double> expected{2.0 / 3, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 2.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  ASSERT_EQ(k.probabilities.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(k.probabilities[i], expected[i], 1e-15);
}

TEST(ParzenEstimator, PriorWeightAndGivenWeights) {
  ParzenOptions o = univariate();
  o.prior_weight = 2.0;
  const std::vector<double> given{3.0, 1.0};
  const ParzenEstimator e({{0.2, 0.7}}, {{"x", FloatDistribution(0, 1)}}, o, &given);
  EXPECT_EQ(e.weights(), (std::vector<double>{0.5, 1.0 / 6, 1.0 / 3}));
  const ParzenEstimator empty({{}}, {{"x", FloatDistribution(0, 1)}}, o);
  EXPECT_EQ(empty.weights(), (std::vector<double>{1.0}));
}

// exp(log_pdf) is a density (continuous) or a mass function (discrete, categorical).
TEST(ParzenEstimator, LogPdfNormalizes) {
  const auto uniform_grid = [](double low, double high, int n) {
    std::vector<std::vector<double>> points;
    for (int i = 0; i <= n; ++i) points.push_back({low + (high - low) * i / n});
    return points;
  };
  {
    const ParzenEstimator e({{0.05, 0.3, 0.31, 0.98}}, {{"x", FloatDistribution(0, 1)}}, univariate());
    const int n = 20000;
    const auto lp = e.log_pdf(uniform_grid(0, 1, n));
    double integral = 0;
    for (int i = 0; i <= n; ++i) integral += std::exp(lp[static_cast<std::size_t>(i)]) * ((i == 0 || i == n) ? 0.5 : 1.0) / n;
    EXPECT_NEAR(integral, 1.0, 1e-6);
  }
  {
    const ParzenEstimator e({{3.0, 3.0, 9.0}}, {{"n", IntDistribution(-3, 9, false, 3)}}, univariate());
    const auto lp = e.log_pdf({{-3}, {0}, {3}, {6}, {9}});
    double mass = 0;
    for (double v : lp) mass += std::exp(v);
    EXPECT_NEAR(mass, 1.0, 1e-12);
    EXPECT_GT(lp[2], lp[0]);  // two observations at 3
  }
  {
    const ParzenEstimator e({{1.0}}, {{"c", CategoricalDistribution({1, 2, 3, 4})}}, univariate());
    const auto lp = e.log_pdf({{0}, {1}, {2}, {3}});
    double mass = 0;
    for (double v : lp) mass += std::exp(v);
    EXPECT_NEAR(mass, 1.0, 1e-12);
  }
}

TEST(TruncatedNormal, TailsAndQuantiles) {
  EXPECT_NEAR(log_ndtr(0), std::log(0.5), 1e-15);
  // Far in the left tail Φ(−40) = φ(40)/40 · (1 − 1/40² + 3/40⁴ − 15/40⁶ + ...).
  const double x2 = 1600;
  EXPECT_NEAR(log_ndtr(-40),
              -800 - std::log(40.0) - 0.5 * std::log(2 * 3.141592653589793) +
                  std::log1p(-1 / x2 + 3 / (x2 * x2) - 15 / (x2 * x2 * x2)),
              1e-10);  // 804 to double precision
  EXPECT_NEAR(std::exp(log_gauss_mass(-1, 1)), 0.6826894921370859, 1e-15);
  EXPECT_NEAR(std::exp(log_gauss_mass(30, 31)), std::exp(log_gauss_mass(-31, -30)), 1e-300);
  EXPECT_TRUE(std::isfinite(log_gauss_mass(50, 51)));
  for (double q : {1e-12, 0.01, 0.3, 0.5, 0.9, 1 - 1e-9}) {
    const double x = truncated_ppf(q, -2, 3);
    EXPECT_NEAR(std::exp(log_gauss_mass(-2, x) - log_gauss_mass(-2, 3)), q, 1e-9) << q;
  }
  const double far = truncated_ppf(0.5, 20, 21);  // both bounds in the right tail
  EXPECT_GT(far, 20);
  EXPECT_LT(far, 20.1);
}

}  // namespace
}  // namespace hpo::tpe
