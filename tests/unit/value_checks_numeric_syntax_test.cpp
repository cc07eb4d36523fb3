// numeric syntax: decimal point, exponent, NaN and Infinity.
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
    {"numeric", "1", "none"},                             // PG: 1
    {"numeric", " 1.5 ", "none"},                         // PG: 1.5
    {"numeric", "\t-1.5\n", "none"},                      // PG: -1.5
    {"numeric", ".5", "none"},                            // PG: 0.5
    {"numeric", "5.", "none"},                            // PG: 5
    {"numeric", "-.5", "none"},                           // PG: -0.5
    {"numeric", "+.5", "none"},                           // PG: 0.5
    {"numeric", "0005", "none"},                          // PG: 5
    {"numeric", "-0", "none"},                            // PG: 0
    {"numeric", "1e5", "none"},                           // PG: 100000
    {"numeric", "1E+5", "none"},                          // PG: 100000
    {"numeric", "1e-5", "none"},                          // PG: 0.00001
    {"numeric", "1.e5", "none"},                          // PG: 100000
    {"numeric", ".5e1", "none"},                          // PG: 5
    {"numeric", "1.5e5", "none"},                         // PG: 150000
    {"numeric", "123456789012345678901234567890.123456789", "none"},  // PG: 123456789012345678901234567890.123456789
    {"numeric", "NaN", "none"},                           // PG: NaN
    {"numeric", "nan", "none"},                           // PG: NaN
    {"numeric", "nAn", "none"},                           // PG: NaN
    {"numeric", " NaN ", "none"},                         // PG: NaN
    {"numeric", "Infinity", "none"},                      // PG: Infinity
    {"numeric", "-Infinity", "none"},                     // PG: -Infinity
    {"numeric", "+Infinity", "none"},                     // PG: Infinity
    {"numeric", "inf", "none"},                           // PG: Infinity
    {"numeric", "-inf", "none"},                          // PG: -Infinity
    {"numeric", "+inf", "none"},                          // PG: Infinity
    {"numeric", "INF", "none"},                           // PG: Infinity
    {"numeric", "inf\t", "none"},                         // PG: Infinity
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"numeric", ".", "not_numeric"},                      // PG: ERROR invalid input syntax
    {"numeric", "", "not_numeric"},                       // PG: ERROR invalid input syntax
    {"numeric", "-", "not_numeric"},                      // PG: ERROR invalid input syntax
    {"numeric", "1e", "not_numeric"},                     // PG: ERROR invalid input syntax
    {"numeric", "1e+", "not_numeric"},                    // PG: ERROR invalid input syntax
    {"numeric", ".e5", "not_numeric"},                    // PG: ERROR invalid input syntax
    {"numeric", "e5", "not_numeric"},                     // PG: ERROR invalid input syntax
    {"numeric", "1 e5", "not_numeric"},                   // PG: ERROR invalid input syntax
    {"numeric", "1e- 5", "not_numeric"},                  // PG: ERROR invalid input syntax
    {"numeric", "- 1", "not_numeric"},                    // PG: ERROR invalid input syntax
    {"numeric", "1.2.3", "not_numeric"},                  // PG: ERROR invalid input syntax
    {"numeric", "1,5", "not_numeric"},                    // PG: ERROR invalid input syntax
    {"numeric", "1,000.00", "not_numeric"},               // PG: ERROR invalid input syntax
    {"numeric", "$5", "not_numeric"},                     // PG: ERROR invalid input syntax
    {"numeric", "1_000", "not_numeric"},                  // PG: ERROR invalid input syntax
    {"numeric", "0x10", "not_numeric"},                   // PG: ERROR invalid input syntax
    {"numeric", "+NaN", "not_numeric"},                   // PG: ERROR invalid input syntax
    {"numeric", "-NaN", "not_numeric"},                   // PG: ERROR invalid input syntax
    {"numeric", "infinit", "not_numeric"},                // PG: ERROR invalid input syntax
    {"numeric", "Infinityx", "not_numeric"},              // PG: ERROR invalid input syntax
    {"numeric", "12%", "not_numeric"},                    // PG: ERROR invalid input syntax
    {"numeric", "(5)", "not_numeric"},                    // PG: ERROR invalid input syntax
    {"numeric", "5-", "not_numeric"},                     // PG: ERROR invalid input syntax
};

// PostgreSQL accepts; QC deliberately rejects.
constexpr Row kStricter[] = {
    {"numeric", "1e 5", "not_numeric"},                   // PG: 100000
    {"numeric", "1e +5", "not_numeric"},                  // PG: 100000
};

TEST(ValueChecksNumericSyntax, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksNumericSyntax, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

// PostgreSQL takes these, but they are rare in real files and each would widen the grammar: a
// false QC failure is safe, a false pass fails the load.
TEST(ValueChecksNumericSyntax, RejectsExoticFormsPostgresAccepts) {
  for (const Row& r : kStricter) {
    EXPECT_NE(r.expected, "none");
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

}  // namespace
}  // namespace sluice
