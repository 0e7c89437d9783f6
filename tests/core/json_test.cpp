#include <gtest/gtest.h>

#include <cmath>

#include "hpo/error.hpp"
#include "hpo/json.hpp"

namespace hpo {
namespace {

TEST(Json, DumpsLikePython) {
  Json v = {{"b", Json::array({1, 2.5, true, nullptr})}, {"a", "x"}};
  EXPECT_EQ(dump_json(v), R"({"a": "x", "b": [1, 2.5, true, null]})");
  EXPECT_EQ(dump_json(Json(1.0)), "1.0");
  EXPECT_EQ(dump_json(Json(1e-05)), "1e-05");
}

TEST(Json, NonFiniteTokensRoundTrip) {
  Json v = Json::array({std::nan(""), HUGE_VAL, -HUGE_VAL});
  std::string text = dump_json(v);
  EXPECT_EQ(text, "[NaN, Infinity, -Infinity]");
  Json back = parse_json(text);
  EXPECT_TRUE(std::isnan(back[0].get<double>()));
  EXPECT_EQ(back[1].get<double>(), HUGE_VAL);
  EXPECT_EQ(back[2].get<double>(), -HUGE_VAL);
}

TEST(Json, UnicodeEscapedAsPythonDoes) {
  Json s = "héllo 𝄞";
  EXPECT_EQ(dump_json(s), R"("h\u00e9llo \ud834\udd1e")");
  EXPECT_EQ(parse_json(dump_json(s)), s);
  EXPECT_EQ(parse_json(R"("caf\u00E9")").get<std::string>(), "café");
}

TEST(Json, IntAndFloatStayDistinct) {
  Json v = parse_json("[3, 3.0, -7, 1e3]");
  EXPECT_TRUE(v[0].is_number_integer());
  EXPECT_TRUE(v[1].is_number_float());
  EXPECT_TRUE(v[2].is_number_integer());
  EXPECT_TRUE(v[3].is_number_float());
}

TEST(Json, RejectsMalformedInputWithPosition) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "nul", "\"abc", "01x", "[1] 2", "-", "1.", "\"\\x\""}) {
    try {
      parse_json(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("offset"), std::string::npos) << e.what();
    }
  }
}

TEST(Json, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  EXPECT_THROW(parse_json(deep), ValueError);
}

}  // namespace
}  // namespace hpo
