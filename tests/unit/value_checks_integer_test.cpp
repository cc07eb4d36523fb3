// smallint/integer/bigint: blanks, sign, digits, exact range.
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
    {"integer", "12", "none"},                            // PG: 12
    {"integer", " 12 ", "none"},                          // PG: 12
    {"integer", "\t12\n", "none"},                        // PG: 12
    {"integer", "\v12", "none"},                          // PG: 12
    {"integer", "\f5\r", "none"},                         // PG: 5
    {"integer", "+12", "none"},                           // PG: 12
    {"integer", "-0", "none"},                            // PG: 0
    {"integer", "2147483647", "none"},                    // PG: 2147483647
    {"integer", "-2147483648", "none"},                   // PG: -2147483648
    {"integer", "00000000000000000000000012", "none"},    // PG: 12
    {"smallint", "32767", "none"},                        // PG: 32767
    {"smallint", "-32768", "none"},                       // PG: -32768
    {"bigint", "9223372036854775807", "none"},            // PG: 9223372036854775807
    {"bigint", "-9223372036854775808", "none"},           // PG: -9223372036854775808
    {"bigint", "-00000000000000000000009223372036854775808", "none"},  // PG: -9223372036854775808
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"integer", "", "not_integer"},                       // PG: ERROR invalid input syntax
    {"integer", " ", "not_integer"},                      // PG: ERROR invalid input syntax
    {"integer", "+", "not_integer"},                      // PG: ERROR invalid input syntax
    {"integer", "-", "not_integer"},                      // PG: ERROR invalid input syntax
    {"integer", "1_000", "not_integer"},                  // PG: ERROR invalid input syntax
    {"integer", "0x10", "not_integer"},                   // PG: ERROR invalid input syntax
    {"integer", "0b1", "not_integer"},                    // PG: ERROR invalid input syntax
    {"integer", "0o7", "not_integer"},                    // PG: ERROR invalid input syntax
    {"integer", "1.0", "not_integer"},                    // PG: ERROR invalid input syntax
    {"integer", "1e3", "not_integer"},                    // PG: ERROR invalid input syntax
    {"integer", "1 2", "not_integer"},                    // PG: ERROR invalid input syntax
    {"integer", "--1", "not_integer"},                    // PG: ERROR invalid input syntax
    {"integer", "+-1", "not_integer"},                    // PG: ERROR invalid input syntax
    {"integer", "- 1", "not_integer"},                    // PG: ERROR invalid input syntax
    {"integer", " 12x", "not_integer"},                   // PG: ERROR invalid input syntax
    {"integer", "\302\24012", "not_integer"},             // PG: ERROR invalid input syntax
    {"integer", "\331\241\331\242", "not_integer"},       // PG: ERROR invalid input syntax
    {"integer", "2147483648", "out_of_range"},            // PG: ERROR out of range for type integer
    {"integer", "-2147483649", "out_of_range"},           // PG: ERROR out of range for type integer
    {"integer", "99999999999999999999999", "out_of_range"},  // PG: ERROR out of range for type integer
    {"smallint", "32768", "out_of_range"},                // PG: ERROR out of range for type smallint
    {"smallint", "-32769", "out_of_range"},               // PG: ERROR out of range for type smallint
    {"smallint", "1.5", "not_integer"},                   // PG: ERROR invalid input syntax
    {"bigint", "9223372036854775808", "out_of_range"},    // PG: ERROR out of range for type bigint
    {"bigint", "-9223372036854775809", "out_of_range"},   // PG: ERROR out of range for type bigint
    {"bigint", "18446744073709551616", "out_of_range"},   // PG: ERROR out of range for type bigint
    {"bigint", "0x10", "not_integer"},                    // PG: ERROR invalid input syntax
    {"bigint", "1_0", "not_integer"},                     // PG: ERROR invalid input syntax
};

TEST(ValueChecksInteger, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksInteger, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

}  // namespace
}  // namespace sluice
