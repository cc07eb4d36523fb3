// numeric(p,s): rounding to s decimals, then at most p-s integer digits; NaN fits, Infinity does not.
// Expected verdicts come from a PostgreSQL 15.18 server: each value went through the column type's
// input function with the column's typmod, as COPY text format calls it (DateStyle 'ISO, MDY',
// TimeZone UTC, UTF8). The comment on each row is what the server returned. The tests need no server.
#include <gtest/gtest.h>

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
    {"numeric(4,2)", "NaN", "none"},                      // PG: NaN
    {"numeric(4,2)", "99.99", "none"},                    // PG: 99.99
    {"numeric(4,2)", "-99.99", "none"},                   // PG: -99.99
    {"numeric(4,2)", "99.994", "none"},                   // PG: 99.99
    {"numeric(4,2)", "99.9949999999", "none"},            // PG: 99.99
    {"numeric(4,2)", "1.005", "none"},                    // PG: 1.01
    {"numeric(4,2)", "0.001", "none"},                    // PG: 0.00
    {"numeric(4,2)", "9.99e1", "none"},                   // PG: 99.90
    {"numeric(4,2)", "9.9994e1", "none"},                 // PG: 99.99
    {"numeric(4,2)", "1e1", "none"},                      // PG: 10.00
    {"numeric(4,2)", "0.0000000000000000000000000000000001e33", "none"},  // PG: 0.10
    {"numeric(4,2)", "00000000099.99", "none"},           // PG: 99.99
    {"numeric(4,2)", "-0", "none"},                       // PG: 0.00
    {"numeric(4,2)", "0e5000", "none"},                   // PG: 0.00
    {"numeric(4,2)", "1e-1000", "none"},                  // PG: 0.00
    {"numeric(20,2)", "123456789012345678.99", "none"},   // PG: 123456789012345678.99
    {"numeric(20,2)", "-123456789012345678.994", "none"},  // PG: -123456789012345678.99
    {"numeric(20,2)", "999999999999999999.994", "none"},  // PG: 999999999999999999.99
    {"numeric(20,2)", "1234567890123456789e-1", "none"},  // PG: 123456789012345678.90
    {"numeric(10,2)", "1.005", "none"},                   // PG: 1.01
    {"numeric(10,2)", "1.005e0", "none"},                 // PG: 1.01
    {"numeric(10,2)", "12345678.9", "none"},              // PG: 12345678.90
    {"numeric(5,0)", "99999", "none"},                    // PG: 99999
    {"numeric(5,0)", "99999.4", "none"},                  // PG: 99999
    {"numeric(5,0)", "0.5", "none"},                      // PG: 1
    {"numeric(3,3)", "0.999", "none"},                    // PG: 0.999
    {"numeric(3,3)", "0.99949", "none"},                  // PG: 0.999
    {"numeric(3,3)", ".5", "none"},                       // PG: 0.500
    {"numeric(3,3)", "0", "none"},                        // PG: 0.000
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"numeric(4,2)", "Infinity", "not_finite"},           // PG: ERROR numeric field overflow
    {"numeric(4,2)", "-Infinity", "not_finite"},          // PG: ERROR numeric field overflow
    {"numeric(4,2)", "inf", "not_finite"},                // PG: ERROR numeric field overflow
    {"numeric(4,2)", "99.995", "too_many_digits"},        // PG: ERROR numeric field overflow
    {"numeric(4,2)", "-99.995", "too_many_digits"},       // PG: ERROR numeric field overflow
    {"numeric(4,2)", "100", "too_many_digits"},           // PG: ERROR numeric field overflow
    {"numeric(4,2)", "100.00", "too_many_digits"},        // PG: ERROR numeric field overflow
    {"numeric(4,2)", "9.9995e1", "too_many_digits"},      // PG: ERROR numeric field overflow
    {"numeric(4,2)", "1e2", "too_many_digits"},           // PG: ERROR numeric field overflow
    {"numeric(4,2)", "999", "too_many_digits"},           // PG: ERROR numeric field overflow
    {"numeric(20,2)", "999999999999999999.995", "too_many_digits"},  // PG: ERROR numeric field overflow
    {"numeric(20,2)", "1234567890123456789", "too_many_digits"},  // PG: ERROR numeric field overflow
    {"numeric(10,2)", "99999999.995", "too_many_digits"},  // PG: ERROR numeric field overflow
    {"numeric(5,0)", "99999.5", "too_many_digits"},       // PG: ERROR numeric field overflow
    {"numeric(5,0)", "-99999.5", "too_many_digits"},      // PG: ERROR numeric field overflow
    {"numeric(3,3)", "0.9995", "too_many_digits"},        // PG: ERROR numeric field overflow
    {"numeric(3,3)", "-0.9995", "too_many_digits"},       // PG: ERROR numeric field overflow
    {"numeric(3,3)", "1", "too_many_digits"},             // PG: ERROR numeric field overflow
};

TEST(ValueChecksNumericScale, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksNumericScale, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

}  // namespace
}  // namespace sluice
