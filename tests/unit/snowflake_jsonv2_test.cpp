// jsonv2 cell decoding and the JWT account rule, on the documented examples.
#include <gtest/gtest.h>

#include <cmath>

#include "warehouse/snowflake/auth.h"
#include "warehouse/snowflake/jsonv2.h"

namespace sluice::snowflake {
namespace {

using jsonv2::Type;

TEST(Jsonv2, TypesCompareCaseInsensitively) {
  EXPECT_EQ(jsonv2::parse_type("fixed"), Type::fixed);
  EXPECT_EQ(jsonv2::parse_type("FIXED"), Type::fixed);
  EXPECT_EQ(jsonv2::parse_type("Timestamp_TZ"), Type::timestamp_tz);
  EXPECT_EQ(jsonv2::parse_type("geography"), Type::unknown);
}

TEST(Jsonv2, NumbersBooleansBinaryVariant) {
  EXPECT_EQ(jsonv2::to_int64("-9223372036854775808"), INT64_MIN);
  EXPECT_THROW(jsonv2::to_int64("12345678901234567890"), std::invalid_argument);
  EXPECT_THROW(jsonv2::to_int64("1.5"), std::invalid_argument);
  EXPECT_EQ(jsonv2::to_double("1.5"), 1.5);
  EXPECT_TRUE(std::isnan(jsonv2::to_double("NaN")));
  EXPECT_EQ(jsonv2::to_double("inf"), INFINITY);
  EXPECT_EQ(jsonv2::to_double("-inf"), -INFINITY);
  EXPECT_TRUE(jsonv2::to_bool("true"));
  EXPECT_FALSE(jsonv2::to_bool("0"));  // seen after a ->> pipe
  EXPECT_THROW(jsonv2::to_bool("yes"), std::invalid_argument);
  EXPECT_EQ(jsonv2::from_hex("48656C6C6F"), "Hello");
  EXPECT_THROW(jsonv2::from_hex("ABC"), std::invalid_argument);
  EXPECT_EQ(jsonv2::to_json("{\n  \"a\": 1\n}")["a"], 1);
  EXPECT_THROW(jsonv2::to_json("[1, undefined]"), std::invalid_argument);
}

TEST(Jsonv2, DatesTimesTimestamps) {
  EXPECT_EQ(jsonv2::date_iso("19753"), "2024-01-31");
  EXPECT_EQ(jsonv2::date_iso("-1"), "1969-12-31");
  EXPECT_EQ(jsonv2::to_iso("45296.123456789", Type::time), "12:34:56.123456789");
  EXPECT_EQ(jsonv2::to_iso("1718000000.123000000", Type::timestamp_ntz), "2024-06-10 06:13:20.123");
  EXPECT_EQ(jsonv2::to_iso("1718000000.000000000", Type::timestamp_ltz), "2024-06-10 06:13:20");
  // offset 1860 - 1440 = +07:00: local wall clock is 7 hours ahead of the instant
  EXPECT_EQ(jsonv2::to_iso("1718000000.5 1860", Type::timestamp_tz), "2024-06-10 13:13:20.5 +07:00");
  EXPECT_EQ(jsonv2::to_instant("1718000000.5 1020", Type::timestamp_tz).offset_minutes, -420);
  const auto before = jsonv2::to_instant("-1.250000000", Type::timestamp_ntz);
  EXPECT_EQ(before.seconds, -2);
  EXPECT_EQ(before.nanos, 750'000'000);
  EXPECT_EQ(jsonv2::to_iso("-1.25", Type::timestamp_ntz), "1969-12-31 23:59:58.75");
  EXPECT_THROW(jsonv2::to_instant("1718000000", Type::timestamp_tz), std::invalid_argument);
}

TEST(JwtAccount, RegionCloudAndPrivatelinkAreCutOff) {
  EXPECT_EQ(jwt_account("xy12345.us-east-1"), "XY12345");
  EXPECT_EQ(jwt_account("xy12345.us-east-2.aws"), "XY12345");
  EXPECT_EQ(jwt_account("myorg-myaccount"), "MYORG-MYACCOUNT");
  EXPECT_EQ(jwt_account("myorg-myaccount.privatelink"), "MYORG-MYACCOUNT");
  EXPECT_EQ(jwt_account("myaccount-abc123.global"), "MYACCOUNT");
}

}  // namespace
}  // namespace sluice::snowflake
