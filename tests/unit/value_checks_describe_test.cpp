// The one-line messages file QC shows for each kind of value error: they name the declared type
// and its limits, so the reader knows what to fix without looking up the config.
#include <gtest/gtest.h>

#include <string>

#include "core/column_type.h"
#include "validators/file_qc/value_checks.h"

namespace sluice {
namespace {

std::string describe(const char* type, ValueError e) { return ValueChecker(*parse_column_type(type)).describe(e); }

TEST(ValueChecksDescribe, IntegerMessagesNameTheRange) {
  EXPECT_EQ(describe("integer", ValueError::not_integer), "not an integer");
  EXPECT_EQ(describe("integer", ValueError::out_of_range), "out of range for integer (-2147483648..2147483647)");
  EXPECT_EQ(describe("smallint", ValueError::out_of_range), "out of range for smallint (-32768..32767)");
  EXPECT_EQ(describe("bigint", ValueError::out_of_range),
            "out of range for bigint (-9223372036854775808..9223372036854775807)");
}

TEST(ValueChecksDescribe, NumericMessagesNameTheDeclaredType) {
  EXPECT_EQ(describe("numeric(20,2)", ValueError::too_many_digits),
            "more than 18 digits before the decimal point for numeric(20,2)");
  EXPECT_EQ(describe("numeric(3,2)", ValueError::too_many_digits),
            "more than 1 digit before the decimal point for numeric(3,2)");
  EXPECT_EQ(describe("numeric(3,3)", ValueError::too_many_digits),
            "not below 1 in magnitude (after rounding to 3 decimals) for numeric(3,3)");
  EXPECT_EQ(describe("numeric(4,2)", ValueError::not_finite), "Infinity does not fit numeric(4,2)");
  EXPECT_EQ(describe("numeric", ValueError::not_numeric), "not a number");
  EXPECT_EQ(describe("numeric", ValueError::out_of_range),
            "out of range for numeric (more than 131072 digits before or 16383 after the decimal point)");
  EXPECT_EQ(describe("numeric(4,2)", ValueError::out_of_range), "exponent out of range for numeric(4,2)");
  EXPECT_EQ(describe("real", ValueError::out_of_range), "out of range for real (magnitude 1.4e-45..3.4e38, or 0)");
}

TEST(ValueChecksDescribe, TextLengthCountsCharacters) {
  EXPECT_EQ(describe("varchar(40)", ValueError::too_long), "longer than 40 characters for varchar(40)");
  EXPECT_EQ(describe("char(5)", ValueError::too_long), "longer than 5 characters for char(5)");
  EXPECT_EQ(describe("char", ValueError::too_long), "longer than 1 character for char(1)");  // a bare char is char(1)
}

TEST(ValueChecksDescribe, OtherKinds) {
  EXPECT_EQ(describe("boolean", ValueError::not_boolean), "not a boolean (true/false, t/f, yes/no, y/n, on/off, 1/0)");
  EXPECT_EQ(describe("date", ValueError::not_date), "not a valid date (YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)");
  EXPECT_EQ(describe("timestamptz", ValueError::not_timestamp),
            "not a valid timestamp (YYYY-MM-DD HH:MM[:SS[.ffffff]], optional AM/PM and time zone)");
}

TEST(ValueChecksDescribe, IdsAreStable) {
  EXPECT_EQ(value_error_id(ValueError::none), "none");
  EXPECT_EQ(value_error_id(ValueError::not_integer), "not_integer");
  EXPECT_EQ(value_error_id(ValueError::too_many_digits), "too_many_digits");
  EXPECT_EQ(value_error_id(ValueError::too_long), "too_long");
}

}  // namespace
}  // namespace sluice
