// boolean: true/false/yes/no/on/off/1/0, case-insensitive, unique prefixes.
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
    {"boolean", "t", "none"},                             // PG: true
    {"boolean", "tr", "none"},                            // PG: true
    {"boolean", "tru", "none"},                           // PG: true
    {"boolean", "true", "none"},                          // PG: true
    {"boolean", "TRUE", "none"},                          // PG: true
    {"boolean", "True", "none"},                          // PG: true
    {"boolean", "T", "none"},                             // PG: true
    {"boolean", "y", "none"},                             // PG: true
    {"boolean", "ye", "none"},                            // PG: true
    {"boolean", "yes", "none"},                           // PG: true
    {"boolean", "Yes", "none"},                           // PG: true
    {"boolean", "Y", "none"},                             // PG: true
    {"boolean", "on", "none"},                            // PG: true
    {"boolean", "ON", "none"},                            // PG: true
    {"boolean", "1", "none"},                             // PG: true
    {"boolean", "f", "none"},                             // PG: false
    {"boolean", "fa", "none"},                            // PG: false
    {"boolean", "fal", "none"},                           // PG: false
    {"boolean", "fals", "none"},                          // PG: false
    {"boolean", "false", "none"},                         // PG: false
    {"boolean", "F", "none"},                             // PG: false
    {"boolean", "n", "none"},                             // PG: false
    {"boolean", "no", "none"},                            // PG: false
    {"boolean", "nO", "none"},                            // PG: false
    {"boolean", "N", "none"},                             // PG: false
    {"boolean", "of", "none"},                            // PG: false
    {"boolean", "off", "none"},                           // PG: false
    {"boolean", "OFF", "none"},                           // PG: false
    {"boolean", "0", "none"},                             // PG: false
    {"boolean", " true ", "none"},                        // PG: true
    {"boolean", "\ttrue\n", "none"},                      // PG: true
    {"boolean", "t\r", "none"},                           // PG: true
    {"boolean", "on ", "none"},                           // PG: true
    {"boolean", " 1 ", "none"},                           // PG: true
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"boolean", "", "not_boolean"},                       // PG: ERROR invalid input syntax
    {"boolean", " ", "not_boolean"},                      // PG: ERROR invalid input syntax
    {"boolean", "o", "not_boolean"},                      // PG: ERROR invalid input syntax
    {"boolean", "truex", "not_boolean"},                  // PG: ERROR invalid input syntax
    {"boolean", "yess", "not_boolean"},                   // PG: ERROR invalid input syntax
    {"boolean", "nope", "not_boolean"},                   // PG: ERROR invalid input syntax
    {"boolean", "01", "not_boolean"},                     // PG: ERROR invalid input syntax
    {"boolean", "10", "not_boolean"},                     // PG: ERROR invalid input syntax
    {"boolean", "00", "not_boolean"},                     // PG: ERROR invalid input syntax
    {"boolean", "2", "not_boolean"},                      // PG: ERROR invalid input syntax
    {"boolean", "-1", "not_boolean"},                     // PG: ERROR invalid input syntax
    {"boolean", "+1", "not_boolean"},                     // PG: ERROR invalid input syntax
    {"boolean", "o n", "not_boolean"},                    // PG: ERROR invalid input syntax
    {"boolean", "t rue", "not_boolean"},                  // PG: ERROR invalid input syntax
    {"boolean", "ok", "not_boolean"},                     // PG: ERROR invalid input syntax
};

TEST(ValueChecksBoolean, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksBoolean, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

}  // namespace
}  // namespace sluice
