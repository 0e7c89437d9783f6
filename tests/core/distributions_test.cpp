#include <gtest/gtest.h>

#include "hpo/distributions.hpp"
#include "hpo/error.hpp"

namespace hpo {
namespace {

void expect_value_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no error, expected one mentioning " << fragment;
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Distributions, ValidationNamesTheBadValue) {
  expect_value_error([] { FloatDistribution(2.0, 1.0); }, "low=2.0 > high=1.0");
  expect_value_error([] { FloatDistribution(0.0, 1.0, true); }, "low=0.0");
  expect_value_error([] { FloatDistribution(1.0, 2.0, true, 0.5); }, "log=true and step=0.5");
  expect_value_error([] { FloatDistribution(0.0, 1.0, false, 0.0); }, "step=0.0");
  expect_value_error([] { IntDistribution(5, 1); }, "low=5 > high=1");
  expect_value_error([] { IntDistribution(0, 10, true); }, "low=0");
  expect_value_error([] { IntDistribution(1, 10, true, 2); }, "step=2");
  expect_value_error([] { IntDistribution(1, 10, false, 0); }, "step=0");
  expect_value_error([] { CategoricalDistribution({}); }, "no choices");
  expect_value_error([] { CategoricalDistribution(std::vector<Json>{Json::array({1})}); }, "[1]");
}

TEST(Distributions, SteppedHighIsLoweredToTheGrid) {
  EXPECT_DOUBLE_EQ(FloatDistribution(0.0, 1.0, false, 0.3).high, 0.9);
  EXPECT_DOUBLE_EQ(FloatDistribution(0.0, 1.0, false, 0.1).high, 1.0);
  EXPECT_EQ(IntDistribution(0, 10, false, 3).high, 9);
}

TEST(Distributions, ContainsAndRepresentations) {
  FloatDistribution f(0.0, 1.0, false, 0.25);
  EXPECT_TRUE(contains(f, 0.5));
  EXPECT_FALSE(contains(f, 0.3));
  EXPECT_FALSE(contains(f, 1.25));
  IntDistribution i(0, 100, false, 5);
  EXPECT_TRUE(contains(i, 35));
  EXPECT_FALSE(contains(i, 36));
  EXPECT_FALSE(contains(i, 35.5));
  CategoricalDistribution c({"sgd", "adam", nullptr, 3, 2.5, true});
  EXPECT_EQ(to_internal(c, "adam"), 1.0);
  EXPECT_EQ(to_internal(c, nullptr), 2.0);
  EXPECT_EQ(to_internal(c, true), 5.0);
  EXPECT_EQ(to_external(c, 3), Json(3));
  EXPECT_TRUE(to_external(c, 3).is_number_integer());
  EXPECT_TRUE(to_external(c, 4).is_number_float());
  EXPECT_TRUE(contains(c, 5));
  EXPECT_FALSE(contains(c, 6));
  EXPECT_THROW(to_internal(c, "rmsprop"), ValueError);
  EXPECT_TRUE(to_external(i, 35.0).is_number_integer());
  EXPECT_TRUE(is_single(FloatDistribution(1.0, 1.0)));
  EXPECT_TRUE(is_single(IntDistribution(0, 4, false, 5)));
  EXPECT_FALSE(is_single(c));
}

TEST(Distributions, OptunaJsonRoundTripOfEveryKind) {
  std::vector<Distribution> all = {
      FloatDistribution(1e-5, 0.1, true), FloatDistribution(-1.0, 1.0, false, 0.5),
      FloatDistribution(0.0, 3.0), IntDistribution(0, 100, false, 5), IntDistribution(1, 1024, true),
      CategoricalDistribution({"sgd", "adam", nullptr, 3, 2.5, true})};
  for (const auto& d : all) {
    Distribution back = distribution_from_json(distribution_to_json(d));
    EXPECT_EQ(back, d) << distribution_to_json(d);
  }
  EXPECT_EQ(distribution_to_json(FloatDistribution(1e-5, 0.1, true)),
            R"({"name": "FloatDistribution", "attributes": {"step": null, "low": 1e-05, "high": 0.1, "log": true}})");
  EXPECT_EQ(distribution_to_json(IntDistribution(0, 100, false, 5)),
            R"({"name": "IntDistribution", "attributes": {"log": false, "step": 5, "low": 0, "high": 100}})");
  // The int/float distinction of choices survives the round trip.
  auto c = std::get<CategoricalDistribution>(
      distribution_from_json(R"({"name": "CategoricalDistribution", "attributes": {"choices": [3, 3.0]}})"));
  EXPECT_TRUE(c.choices[0].is_number_integer());
  EXPECT_TRUE(c.choices[1].is_number_float());
}

TEST(Distributions, LegacyNamesAndShortForm) {
  EXPECT_EQ(distribution_from_json(R"({"name": "UniformDistribution", "attributes": {"low": 0, "high": 2}})"),
            Distribution(FloatDistribution(0, 2)));
  EXPECT_EQ(distribution_from_json(R"({"name": "LogUniformDistribution", "attributes": {"low": 0.01, "high": 1}})"),
            Distribution(FloatDistribution(0.01, 1, true)));
  EXPECT_EQ(distribution_from_json(
                R"({"name": "DiscreteUniformDistribution", "attributes": {"low": 0, "high": 1, "q": 0.25}})"),
            Distribution(FloatDistribution(0, 1, false, 0.25)));
  EXPECT_EQ(distribution_from_json(
                R"({"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 9, "step": 3}})"),
            Distribution(IntDistribution(0, 9, false, 3)));
  EXPECT_EQ(distribution_from_json(
                R"({"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 64, "step": 1}})"),
            Distribution(IntDistribution(1, 64, true)));
  EXPECT_EQ(distribution_from_json(R"({"type": "float", "low": 0.001, "high": 1, "log": true})"),
            Distribution(FloatDistribution(0.001, 1, true)));
  EXPECT_EQ(distribution_from_json(R"({"type": "int", "low": 1, "high": 9, "step": 2})"),
            Distribution(IntDistribution(1, 9, false, 2)));
  EXPECT_EQ(distribution_from_json(R"({"type": "categorical", "choices": ["a", "b"]})"),
            Distribution(CategoricalDistribution({"a", "b"})));
}

TEST(Distributions, BadJsonIsAClearError) {
  expect_value_error([] { distribution_from_json(R"({"name": "Gaussian", "attributes": {}})"); }, "Gaussian");
  expect_value_error([] { distribution_from_json(R"({"type": "float", "low": 0})"); }, "\"high\"");
  expect_value_error([] { distribution_from_json(R"({"type": "int", "low": 0.5, "high": 3})"); }, "0.5");
  expect_value_error([] { distribution_from_json(R"([1, 2])"); }, "expected an object");
  expect_value_error([] { distribution_from_json(R"({"type": "float", "low": 3, "high": 1})"); }, "low=3.0");
}

TEST(Distributions, CompatibilityFollowsOptuna) {
  EXPECT_NO_THROW(check_distribution_compatibility("x", FloatDistribution(0, 1), FloatDistribution(0, 5)));
  expect_value_error([] { check_distribution_compatibility("x", FloatDistribution(0, 1), IntDistribution(0, 1)); },
                     "'x'");
  expect_value_error(
      [] { check_distribution_compatibility("lr", FloatDistribution(0.1, 1, true), FloatDistribution(0.1, 1)); },
      "log");
  expect_value_error([] {
    check_distribution_compatibility("c", CategoricalDistribution({"a"}), CategoricalDistribution({"a", "b"}));
  }, "choices");
}

}  // namespace
}  // namespace hpo
