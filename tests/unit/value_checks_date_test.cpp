// date: the three DateParser forms with real calendar days, optionally followed by a valid time.
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
    {"date", "2024-01-31", "none"},                       // PG: 2024-01-31
    {"date", "20240131", "none"},                         // PG: 2024-01-31
    {"date", "01/31/2024", "none"},                       // PG: 2024-01-31
    {"date", "1/5/2024", "none"},                         // PG: 2024-01-05
    {"date", "1/31/2024", "none"},                        // PG: 2024-01-31
    {"date", "01/13/2024", "none"},                       // PG: 2024-01-13
    {"date", "2024-02-29", "none"},                       // PG: 2024-02-29
    {"date", "2000-02-29", "none"},                       // PG: 2000-02-29
    {"date", "0001-01-01", "none"},                       // PG: 0001-01-01
    {"date", "9999-12-31", "none"},                       // PG: 9999-12-31
    {"date", "00010101", "none"},                         // PG: 0001-01-01
    {"date", "19991231", "none"},                         // PG: 1999-12-31
    {"date", " 2024-01-31 ", "none"},                     // PG: 2024-01-31
    {"date", "\t2024-01-31\r", "none"},                   // PG: 2024-01-31
    {"date", "2024-01-31 23:59:59", "none"},              // PG: 2024-01-31
    {"date", "2024-01-31T23:59:59", "none"},              // PG: 2024-01-31
    {"date", "2024-01-31t23:59:59", "none"},              // PG: 2024-01-31
    {"date", "2024-01-31T23:59:59Z", "none"},             // PG: 2024-01-31
    {"date", "2024-01-31 23:59:59+05", "none"},           // PG: 2024-01-31
    {"date", "2024-01-31T23:59:59.5+05:30", "none"},      // PG: 2024-01-31
    {"date", "2024-01-31 23:59:59.123456", "none"},       // PG: 2024-01-31
    {"date", "2024-01-31 00:00", "none"},                 // PG: 2024-01-31
    {"date", "2024-01-31 0:0", "none"},                   // PG: 2024-01-31
    {"date", "2024-01-31 1:2:3", "none"},                 // PG: 2024-01-31
    {"date", "2024-01-31 24:00:00", "none"},              // PG: 2024-01-31
    {"date", "2024-01-31 23:59:60", "none"},              // PG: 2024-01-31
    {"date", "2024-01-31  23:59:59", "none"},             // PG: 2024-01-31
    {"date", "2024-01-31\t23:59:59", "none"},             // PG: 2024-01-31
    {"date", "2024-01-31 23:59:59 UTC", "none"},          // PG: 2024-01-31
    {"date", "20240131 12:00", "none"},                   // PG: 2024-01-31
    {"date", "01/31/2024 12:00", "none"},                 // PG: 2024-01-31
    {"date", "01/31/2024 12:00:00 PM", "none"},           // PG: 2024-01-31
    {"date", "2024-01-31 12:00:00 pm", "none"},           // PG: 2024-01-31
    {"date", "01/31/2024 12:00:00 PM +05", "none"},       // PG: 2024-01-31
};

// PostgreSQL rejects; so does QC, with this error.
constexpr Row kPgRejects[] = {
    {"date", "2023-02-29", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "2024-02-30", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "2024-04-31", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "2024-13-01", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "2024-00-10", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "2024-01-00", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "0000-01-01", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "00000101", "not_date"},                     // PG: ERROR date/time field value out of range
    {"date", "31/01/2024", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "13/01/2024", "not_date"},                   // PG: ERROR date/time field value out of range
    {"date", "", "not_date"},                             // PG: ERROR invalid input syntax
    {"date", "2024-01-31x", "not_date"},                  // PG: ERROR invalid input syntax
    {"date", "2024-01-31 garbage", "not_date"},           // PG: ERROR invalid input syntax
    {"date", "2024-01-31T", "not_date"},                  // PG: ERROR invalid input syntax
    {"date", "2024-01-31 t", "not_date"},                 // PG: ERROR invalid input syntax
    {"date", "2024-01-31 25:00:00", "not_date"},          // PG: ERROR date/time field value out of range
    {"date", "2024-01-31 24:00:01", "not_date"},          // PG: ERROR date/time field value out of range
    {"date", "2024-01-31 23:60:00", "not_date"},          // PG: ERROR date/time field value out of range
    {"date", "2024-01-31 13:00 PM", "not_date"},          // PG: ERROR date/time field value out of range
    {"date", "2024-01-31 23:59:59+25", "not_date"},       // PG: ERROR time zone displacement out of range
    {"date", "24-01-31", "not_date"},                     // PG: ERROR date/time field value out of range
    {"date", "2024131", "not_date"},                      // PG: ERROR date/time field value out of range
    {"date", "202401311", "not_date"},                    // PG: ERROR date/time field value out of range
};

// PostgreSQL accepts; QC deliberately rejects.
constexpr Row kStricter[] = {
    {"date", "2024-1-5", "not_date"},                     // PG: 2024-01-05
    {"date", "2024/01/05", "not_date"},                   // PG: 2024-01-05
    {"date", "2024.01.31", "not_date"},                   // PG: 2024-01-31
    {"date", "01-31-2024", "not_date"},                   // PG: 2024-01-31
    {"date", "01/31/24", "not_date"},                     // PG: 2024-01-31
    {"date", "240131", "not_date"},                       // PG: 2024-01-31
    {"date", "2024-001", "not_date"},                     // PG: 2024-01-01
    {"date", "10000-01-01", "not_date"},                  // PG: 10000-01-01
    {"date", "2024-01-31 BC", "not_date"},                // PG: 2024-01-31 BC
    {"date", "Jan 31 2024", "not_date"},                  // PG: 2024-01-31
    {"date", "31-Jan-2024", "not_date"},                  // PG: 2024-01-31
    {"date", "epoch", "not_date"},                        // PG: 1970-01-01
    {"date", "today", "not_date"},                        // PG: 2026-11-22
    {"date", "infinity", "not_date"},                     // PG: infinity
    {"date", "2024-01-31 23:59:59 EST", "not_date"},      // PG: 2024-01-31
};

TEST(ValueChecksDate, AcceptsWhatPostgresAccepts) {
  for (const Row& r : kPgAccepts)
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
}

TEST(ValueChecksDate, RejectsWhatPostgresRejects) {
  for (const Row& r : kPgRejects) {
    EXPECT_NE(r.expected, "none") << "the table itself would allow a failing load: " << r.value;
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

// PostgreSQL takes these, but they are rare in real files and each would widen the grammar: a
// false QC failure is safe, a false pass fails the load.
TEST(ValueChecksDate, RejectsExoticFormsPostgresAccepts) {
  for (const Row& r : kStricter) {
    EXPECT_NE(r.expected, "none");
    EXPECT_EQ(verdict(r.type, r.value), r.expected) << r.type << " [" << r.value << "]";
  }
}

}  // namespace
}  // namespace sluice
