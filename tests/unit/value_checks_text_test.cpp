// varchar(n) and char(n): code points, not bytes; excess trailing spaces are dropped, not errors.
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
    {"varchar(5)", "abcde", "none"},                      // PG: abcde
    {"varchar(5)", "abc", "none"},                        // PG: abc
    {"varchar(5)", "", "none"},                           // PG:
    {"varchar(5)", "\303\251\303\251\303\251\303\251\303\251", "none"},  // PG: ?????
    {"varchar(5)", "\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200\360\237\230\200", "none"},  // PG: ?????
    {"varchar(5)", "abcde   ", "none"},                   // PG: abcde
    {"varchar(5)", "abc     ", "none"},                   // PG: abc
    {"varchar(5)", "\303\251\303\251\303\251\303\251\303\251   ", "none"},  // PG: ?????
    {"char(5)", "abcde", "none"},                         // PG: abcde
    {"char(5)", "abcde   ", "none"},                      // PG: abcde
    {"char(5)", "abc\t", "none"},                         // PG: abc
    {"char(5)", "\303\251\303\251\303\251\303\251\303\251   ", "none"},  // PG: ?????
    {"char", "a", "none"},                                // PG: a
    {"char", "\303\251", "none"},                         // PG: ?
    {"char", "a  ", "none"},                              // PG: a
    {"varchar", "anything at all, of any length", "none"},  // PG: anything at all, of any length
    {"text", "anything at all", "none"},                  // PG: anything at all
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"varchar(5)", "abcdef", "too_long"},                 // PG: ERROR value too long for type character varying(5)
    {"varchar(5)", "\303\251\303\251\303\251\303\251\303\251\303\251", "too_long"},  // PG: ERROR value too long for type character varying(5)
    {"varchar(5)", "abcde  x", "too_long"},               // PG: ERROR value too long for type character varying(5)
    {"varchar(5)", "abcde\t", "too_long"},                // PG: ERROR value too long for type character varying(5)
    {"varchar(5)", "abcde\n", "too_long"},                // PG: ERROR value too long for type character varying(5)
    {"char(5)", "abcdef", "too_long"},                    // PG: ERROR value too long for type character(5)
    {"char(5)", "\303\251\303\251\303\251\303\251\303\251\303\251", "too_long"},  // PG: ERROR value too long for type character(5)
    {"char(5)", "abcde\t", "too_long"},                   // PG: ERROR value too long for type character(5)
    {"char", "ab", "too_long"},                           // PG: ERROR value too long for type character(1)
    {"varchar(5)", "\303\251\303\251\303\251\303\251\303\251 \302\240", "too_long"},  // PG: ERROR value too long for type character varying(5)
};

TEST(ValueChecksText, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksText, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

}  // namespace
}  // namespace sluice
