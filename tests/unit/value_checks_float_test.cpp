// real and double: strtod syntax and range, overflow and underflow to zero are errors.
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
    {"double", "1", "none"},                              // PG: 1
    {"double", " 1.5 ", "none"},                          // PG: 1.5
    {"double", "1.5\t", "none"},                          // PG: 1.5
    {"double", "\v1.5", "none"},                          // PG: 1.5
    {"double", ".5", "none"},                             // PG: 0.5
    {"double", "5.", "none"},                             // PG: 5
    {"double", "-.5", "none"},                            // PG: -0.5
    {"double", "+1.5", "none"},                           // PG: 1.5
    {"double", "1e5", "none"},                            // PG: 100000
    {"double", "1E-5", "none"},                           // PG: 1e-05
    {"double", "1.5e+300", "none"},                       // PG: 1.5e+300
    {"double", "123456789012345678901234567890", "none"},  // PG: 1.2345678901234568e+29
    {"double", "00000000000000000000000000000000000000000000000000000000000000000000000001", "none"},  // PG: 1
    {"double", "NaN", "none"},                            // PG: NaN
    {"double", "nan", "none"},                            // PG: NaN
    {"double", "+NaN", "none"},                           // PG: NaN
    {"double", "-NaN", "none"},                           // PG: NaN
    {"double", "Infinity", "none"},                       // PG: Infinity
    {"double", "-Infinity", "none"},                      // PG: -Infinity
    {"double", "+Infinity", "none"},                      // PG: Infinity
    {"double", "infinity ", "none"},                      // PG: Infinity
    {"double", "inf", "none"},                            // PG: Infinity
    {"double", "-inf", "none"},                           // PG: -Infinity
    {"double", "+inf", "none"},                           // PG: Infinity
    {"double", "INF", "none"},                            // PG: Infinity
    {"double", "1e308", "none"},                          // PG: 1e+308
    {"double", "1.7976931348623157e308", "none"},         // PG: 1.7976931348623157e+308
    {"double", "1e-300", "none"},                         // PG: 1e-300
    {"double", "1e-320", "none"},                         // PG: 1e-320
    {"double", "4.9e-324", "none"},                       // PG: 5e-324
    {"double", "3e-324", "none"},                         // PG: 5e-324
    {"double", "0e-400", "none"},                         // PG: 0
    {"double", "0.0000e-999999", "none"},                 // PG: 0
    {"double", "0e999999", "none"},                       // PG: 0
    {"real", "1.5", "none"},                              // PG: 1.5
    {"real", "3.4028235e38", "none"},                     // PG: 3.4028235e+38
    {"real", "1e-38", "none"},                            // PG: 1e-38
    {"real", "1e-45", "none"},                            // PG: 1e-45
    {"real", "1.4e-45", "none"},                          // PG: 1e-45
    {"real", "8e-46", "none"},                            // PG: 1e-45
    {"real", "0e-50", "none"},                            // PG: 0
    {"real", "NaN", "none"},                              // PG: NaN
    {"real", "-inf", "none"},                             // PG: -Infinity
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"double", "1.7976931348623159e308", "out_of_range"},  // PG: ERROR out of range for type double precision
    {"double", "1e309", "out_of_range"},                  // PG: ERROR out of range for type double precision
    {"double", "1e400", "out_of_range"},                  // PG: ERROR out of range for type double precision
    {"double", "-1e400", "out_of_range"},                 // PG: ERROR out of range for type double precision
    {"double", "2e-324", "out_of_range"},                 // PG: ERROR out of range for type double precision
    {"double", "1e-400", "out_of_range"},                 // PG: ERROR out of range for type double precision
    {"double", "1e-2147483649", "out_of_range"},          // PG: ERROR out of range for type double precision
    {"double", ".", "not_numeric"},                       // PG: ERROR invalid input syntax
    {"double", "", "not_numeric"},                        // PG: ERROR invalid input syntax
    {"double", "1e", "not_numeric"},                      // PG: ERROR invalid input syntax
    {"double", "1e+", "not_numeric"},                     // PG: ERROR invalid input syntax
    {"double", "1e 5", "not_numeric"},                    // PG: ERROR invalid input syntax
    {"double", "e5", "not_numeric"},                      // PG: ERROR invalid input syntax
    {"double", "- 1", "not_numeric"},                     // PG: ERROR invalid input syntax
    {"double", "1.2.3", "not_numeric"},                   // PG: ERROR invalid input syntax
    {"double", "1,5", "not_numeric"},                     // PG: ERROR invalid input syntax
    {"double", "1_000", "not_numeric"},                   // PG: ERROR invalid input syntax
    {"double", "infinit", "not_numeric"},                 // PG: ERROR invalid input syntax
    {"double", "Infinityx", "not_numeric"},               // PG: ERROR invalid input syntax
    {"real", "3.4028236e38", "out_of_range"},             // PG: ERROR out of range for type real
    {"real", "3.40282357e38", "out_of_range"},            // PG: ERROR out of range for type real
    {"real", "1e39", "out_of_range"},                     // PG: ERROR out of range for type real
    {"real", "7e-46", "out_of_range"},                    // PG: ERROR out of range for type real
    {"real", "1e-46", "out_of_range"},                    // PG: ERROR out of range for type real
    {"real", "1e-50", "out_of_range"},                    // PG: ERROR out of range for type real
    {"real", "1e400", "out_of_range"},                    // PG: ERROR out of range for type real
};

// PostgreSQL accepts; QC deliberately rejects.
constexpr Row kStricter[] = {
    {"double", "0x10", "not_numeric"},                    // PG: 16
    {"double", "0x1p3", "not_numeric"},                   // PG: 8
    {"double", "nan(123)", "not_numeric"},                // PG: NaN
    {"real", "0x10", "not_numeric"},                      // PG: 16
};

TEST(ValueChecksFloat, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksFloat, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

// PostgreSQL takes these, but they are rare in real files and each would widen the grammar: a
// false QC failure is safe, a false pass fails the load.
TEST(ValueChecksFloat, RejectsExoticFormsPostgresAccepts) {
  for (const Row& r : kStricter) {
    EXPECT_NE(r.expected, "none");
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

}  // namespace
}  // namespace sluice
