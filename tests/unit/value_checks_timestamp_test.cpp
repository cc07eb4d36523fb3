// timestamp and timestamptz: date, time, fraction, AM/PM, time zone offsets.
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
    {"timestamp", "2024-01-31 23:59:59", "none"},         // PG: 2024-01-31 23:59:59
    {"timestamp", "2024-01-31", "none"},                  // PG: 2024-01-31 00:00:00
    {"timestamp", "20240131", "none"},                    // PG: 2024-01-31 00:00:00
    {"timestamp", "01/31/2024", "none"},                  // PG: 2024-01-31 00:00:00
    {"timestamp", "2024-01-31T23:59:59", "none"},         // PG: 2024-01-31 23:59:59
    {"timestamp", "2024-01-31t23:59:59", "none"},         // PG: 2024-01-31 23:59:59
    {"timestamp", "2024-01-31T23:59", "none"},            // PG: 2024-01-31 23:59:00
    {"timestamp", "2024-01-31 23:59", "none"},            // PG: 2024-01-31 23:59:00
    {"timestamp", "2024-01-31 9:05:00", "none"},          // PG: 2024-01-31 09:05:00
    {"timestamp", "2024-01-31 09:5:0", "none"},           // PG: 2024-01-31 09:05:00
    {"timestamp", "2024-01-31 23:59:59.123456", "none"},  // PG: 2024-01-31 23:59:59.123456
    {"timestamp", "2024-01-31 23:59:59.1234567", "none"},  // PG: 2024-01-31 23:59:59.123457
    {"timestamp", "2024-01-31 23:59:59.9999995", "none"},  // PG: 2024-02-01 00:00:00
    {"timestamp", "2024-01-31 12:00:00.123456789012", "none"},  // PG: 2024-01-31 12:00:00.123457
    {"timestamp", "2024-01-31 24:00:00", "none"},         // PG: 2024-02-01 00:00:00
    {"timestamp", "2024-01-31 24:00", "none"},            // PG: 2024-02-01 00:00:00
    {"timestamp", "2024-01-31 24:00:00.0", "none"},       // PG: 2024-02-01 00:00:00
    {"timestamp", "2024-01-31 23:59:60", "none"},         // PG: 2024-02-01 00:00:00
    {"timestamp", "2024-01-31 23:59:60.0", "none"},       // PG: 2024-02-01 00:00:00
    {"timestamp", "2024-01-31 12:30:60", "none"},         // PG: 2024-01-31 12:31:00
    {"timestamp", "9999-12-31 24:00:00", "none"},         // PG: 10000-01-01 00:00:00
    {"timestamp", " 2024-01-31 12:00:00 ", "none"},       // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31  12:00:00", "none"},        // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31\t12:00:00", "none"},        // PG: 2024-01-31 12:00:00
    {"timestamp", "20240131 12:00:00", "none"},           // PG: 2024-01-31 12:00:00
    {"timestamp", "01/31/2024 12:00", "none"},            // PG: 2024-01-31 12:00:00
    {"timestamp", "1/5/2024 3:04:05 PM", "none"},         // PG: 2024-01-05 15:04:05
    {"timestamp", "1/5/2024 03:04:05 pm", "none"},        // PG: 2024-01-05 15:04:05
    {"timestamp", "2024-01-31 12:00:00 PM", "none"},      // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 AM", "none"},      // PG: 2024-01-31 00:00:00
    {"timestamp", "2024-01-31 12:00:00PM", "none"},       // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00 am", "none"},         // PG: 2024-01-31 00:00:00
    {"timestamp", "2024-01-31 00:30 AM", "none"},         // PG: 2024-01-31 00:30:00
    {"timestamp", "2024-01-31 0:30 PM", "none"},          // PG: 2024-01-31 12:30:00
    {"timestamp", "2024-01-31 11:59:59.9999999 PM", "none"},  // PG: 2024-02-01 00:00:00
    {"timestamp", "2024-01-31 12:00:00Z", "none"},        // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00z", "none"},        // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 Z", "none"},       // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31T12:00:00.000Z", "none"},    // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00.5Z", "none"},      // PG: 2024-01-31 12:00:00.5
    {"timestamp", "2024-01-31 12:00:00+05", "none"},      // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00-08", "none"},      // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00-8", "none"},       // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+5", "none"},       // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+05:30", "none"},   // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 +05:30", "none"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 -05:00", "none"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+0530", "none"},    // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 +0000", "none"},   // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00-00", "none"},      // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+05:30:00", "none"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+15", "none"},      // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+15:59", "none"},   // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00-15:59", "none"},   // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+15:59:59", "none"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00.5 +01", "none"},   // PG: 2024-01-31 12:00:00.5
    {"timestamp", "2024-01-31 12:00:00 UTC", "none"},     // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 utc", "none"},     // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 GMT", "none"},     // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 PM Z", "none"},    // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 PM +05", "none"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "20240131T12:00:00", "none"},           // PG: 2024-01-31 12:00:00
    {"timestamp", "01/31/2024T12:00:00", "none"},         // PG: 2024-01-31 12:00:00
    {"timestamptz", "2024-01-31 12:00:00+05:30", "none"},  // PG: 2024-01-31 06:30:00+00
    {"timestamptz", "2024-01-31 12:00:00Z", "none"},      // PG: 2024-01-31 12:00:00+00
    {"timestamptz", "2024-01-31 12:00:00", "none"},       // PG: 2024-01-31 12:00:00+00
    {"timestamptz", "2024-01-31", "none"},                // PG: 2024-01-31 00:00:00+00
    {"timestamptz", "2024-01-31 12:00:00 UTC", "none"},   // PG: 2024-01-31 12:00:00+00
    {"timestamptz", "2024-01-31T23:59:60Z", "none"},      // PG: 2024-02-01 00:00:00+00
    {"timestamptz", "2024-01-31 24:00:00+01", "none"},    // PG: 2024-01-31 23:00:00+00
    {"timestamptz", "2024-01-31 12:00:00+15:59:59", "none"},  // PG: 2024-01-30 20:00:01+00
    {"timestamptz", "2024-01-31 12:00:00 PM +05", "none"},  // PG: 2024-01-31 07:00:00+00
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"timestamp", "2024-01-31 23", "not_timestamp"},      // PG: ERROR invalid input syntax
    {"timestamp", "2024-01-31 23:59:59,5", "not_timestamp"},  // PG: ERROR invalid input syntax
    {"timestamp", "2024-01-31 24:00:00.000001", "not_timestamp"},  // PG: ERROR date/time field value out of range
    {"timestamp", "2024-01-31 24:00:60", "not_timestamp"},  // PG: ERROR date/time field value out of range
    {"timestamp", "2024-01-31 24:00 AM", "not_timestamp"},  // PG: ERROR date/time field value out of range
    {"timestamp", "2024-01-31 23:59:60.5", "not_timestamp"},  // PG: ERROR date/time field value out of range
    {"timestamp", "2024-01-31 23:60", "not_timestamp"},   // PG: ERROR date/time field value out of range
    {"timestamp", "2024-01-31 13:00 PM", "not_timestamp"},  // PG: ERROR date/time field value out of range
    {"timestamp", "2024-01-31 12:00:00 P.M.", "not_timestamp"},  // PG: ERROR time zone not recognized
    {"timestamp", "2024-01-31 23:59:59 garbage", "not_timestamp"},  // PG: ERROR invalid input syntax
    {"timestamp", "2024-01-31 23:59:59x", "not_timestamp"},  // PG: ERROR invalid input syntax
    {"timestamp", "2024-02-30 12:00:00", "not_timestamp"},  // PG: ERROR date/time field value out of range
    {"timestamp", "2024-01-31 12:00:00+16", "not_timestamp"},  // PG: ERROR time zone displacement out of range
    {"timestamp", "2024-01-31 12:00:00-16", "not_timestamp"},  // PG: ERROR time zone displacement out of range
    {"timestamp", "2024-01-31 12:00:00+05:60", "not_timestamp"},  // PG: ERROR time zone displacement out of range
    {"timestamp", "2024-01-31 12:00:00+05:30:60", "not_timestamp"},  // PG: ERROR time zone displacement out of range
    {"timestamp", "2024-01-31 12:00:00+", "not_timestamp"},  // PG: ERROR invalid input syntax
    {"timestamp", "2024-01-31 12:00:00++05", "not_timestamp"},  // PG: ERROR invalid input syntax
    {"timestamptz", "2024-01-31 12:00:00+16", "not_timestamp"},  // PG: ERROR time zone displacement out of range
    {"timestamptz", "2024-01-31 25:00:00+01", "not_timestamp"},  // PG: ERROR date/time field value out of range
};

// PostgreSQL accepts; QC deliberately rejects.
constexpr Row kStricter[] = {
    {"timestamp", "2024-01-31 12:00:00.", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:.5", "not_timestamp"},  // PG: 2024-01-31 12:00:00.5
    {"timestamp", "2024-01-31 009:05:00", "not_timestamp"},  // PG: 2024-01-31 09:05:00
    {"timestamp", "2024-01-31 12:00:00+05:30 PM", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "20240131T120000", "not_timestamp"},    // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31T120000", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+530", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00+05:3", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31T 12:00:00", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 T12:00:00", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 zulu", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 EST", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 24:00:00.0000001", "not_timestamp"},  // PG: 2024-02-01 00:00:00
    {"timestamp", "2024-01-31 12:00:00 - 05:00", "not_timestamp"},  // PG: 2024-01-31 12:00:00
    {"timestamp", "2024-01-31 12:00:00 UTC+1", "not_timestamp"},  // PG: 2024-01-31 12:00:00
};

TEST(ValueChecksTimestamp, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksTimestamp, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

// PostgreSQL takes these, but they are rare in real files and each would widen the grammar: a
// false QC failure is safe, a false pass fails the load.
TEST(ValueChecksTimestamp, RejectsExoticFormsPostgresAccepts) {
  for (const Row& r : kStricter) {
    EXPECT_NE(r.expected, "none");
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

}  // namespace
}  // namespace sluice
