// numeric storage limits: exponent range, digits before and after the point.
// Expected verdicts come from a PostgreSQL 15.18 server: each value went through the column type's
// input function with the column's typmod, as COPY text format calls it (DateStyle 'ISO, MDY',
// TimeZone UTC, UTF8). The comment on each row is what the server returned. The tests need no server.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/column_type.h"
#include "validators/file_qc/value_checks.h"

namespace sluice {
namespace {

// `expected` is value_error_id() of ValueChecker's verdict; the comment is PostgreSQL's.
struct Row {
  std::string_view type, value, expected;
};

std::string_view verdict(std::string_view type, std::string_view value) {
  const auto t = parse_column_type(type);
  if (!t) return "unknown type";
  return value_error_id(ValueChecker(*t).check(value.data(), value.size()));
}

// PostgreSQL accepts; so does QC.
constexpr Row kPgAccepts[] = {
    {"numeric", "1e131071", "none"},                      // PG: 1000000000000000000000000000000000000000000000000000000000
    {"numeric", "9.99e131071", "none"},                   // PG: 9990000000000000000000000000000000000000000000000000000000
    {"numeric", "0.1e131072", "none"},                    // PG: 1000000000000000000000000000000000000000000000000000000000
    {"numeric", "1e-16383", "none"},                      // PG: 0.00000000000000000000000000000000000000000000000000000000
    {"numeric", "1.5e-16382", "none"},                    // PG: 0.00000000000000000000000000000000000000000000000000000000
    {"numeric", "0e99999999", "none"},                    // PG: 0
    {"numeric(4,2)", "1e-1073741822", "none"},            // PG: 0.00
    {"numeric(4,2)", "1e-20000", "none"},                 // PG: 0.00
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"numeric", "10e131071", "out_of_range"},             // PG: ERROR value overflows numeric format
    {"numeric", "1e131072", "out_of_range"},              // PG: ERROR value overflows numeric format
    {"numeric", "1.5e-16383", "out_of_range"},            // PG: ERROR value overflows numeric format
    {"numeric", "10e-16384", "out_of_range"},             // PG: ERROR value overflows numeric format
    {"numeric", "1e-16384", "out_of_range"},              // PG: ERROR value overflows numeric format
    {"numeric", "0e-20000", "out_of_range"},              // PG: ERROR value overflows numeric format
    {"numeric", "1e1073741822", "out_of_range"},          // PG: ERROR value overflows numeric format
    {"numeric", "1e1073741823", "out_of_range"},          // PG: ERROR value overflows numeric format
    {"numeric", "0e-1073741823", "out_of_range"},         // PG: ERROR value overflows numeric format
    {"numeric", "1e99999999999999999999", "out_of_range"},  // PG: ERROR value overflows numeric format
    {"numeric(4,2)", "1e-1073741823", "out_of_range"},    // PG: ERROR value overflows numeric format
};

TEST(ValueChecksNumericLimits, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksNumericLimits, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

// Values too long for a table row. PostgreSQL 15 stores an unconstrained numeric with at most
// 16383 digits after the point (trailing zeros count) and a first significant digit no higher
// than 10^131071; numeric(p,s) rounds first, so the scale limit does not apply to it.
TEST(ValueChecksNumericLimits, LongDigitStrings) {
  const std::string z16383(16383, '0'), z16384(16384, '0'), z131071(131071, '0'), z131072(131072, '0');
  EXPECT_EQ(verdict("numeric", "1." + z16383), "none");                 // PG: 1.000...
  EXPECT_EQ(verdict("numeric", "1." + z16384), "out_of_range");         // PG: value overflows numeric format
  EXPECT_EQ(verdict("numeric", "0." + z16384), "out_of_range");         // PG: value overflows numeric format
  EXPECT_EQ(verdict("numeric", "1" + z131071), "none");                 // PG: 1000...
  EXPECT_EQ(verdict("numeric", "1" + z131072), "out_of_range");         // PG: value overflows numeric format
  EXPECT_EQ(verdict("numeric", "00000" + z131072 + "1"), "none");       // PG: 1 (leading zeros are free)
  EXPECT_EQ(verdict("numeric(4,2)", "1." + std::string(20000, '0')), "none");  // PG: 1.00
  EXPECT_EQ(verdict("numeric(4,2)", "99.99" + std::string(20000, '4')), "none");  // PG: 99.99
  EXPECT_EQ(verdict("numeric(4,2)", "99.99" + std::string(20000, '9')), "too_many_digits");
}

}  // namespace
}  // namespace sluice
