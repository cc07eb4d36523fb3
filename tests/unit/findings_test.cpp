// The table of checks: one stable id per check (JSON's "check", which scripts and the menu read),
// and the reason each row check gives a row it sets aside, in the reject file.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "validators/file_qc/findings.h"

namespace sluice {
namespace {

TEST(Findings, EachCheckHasItsStableId) {
  const std::vector<std::string> ids = {
      "column_count",  "unterminated_quote", "stray_quote",   "invalid_utf8",        "type",
      "required_empty", "date_empty",        "date_unparseable", "date_out_of_range", "header",
      "missing_days",  "day_anomalies",      "unusual_days",  "duplicate_key",       "max_errors",
      "table_missing", "columns_missing",    "date_checks_skipped", "empty",         "duplicate_keys",
      "required_nulls", "date_null",         "history_mismatch"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto check = static_cast<Check>(i);
    EXPECT_EQ(check_id(check), ids[i]);
    EXPECT_EQ(check_from_id(ids[i]), check);
  }
  EXPECT_EQ(check_from_id("no_such_check"), std::nullopt);
}

TEST(Findings, RowChecksNameTheRowsReason) {
  // What the reject file says of a set-aside row: its first problem, as the scan's example has it.
  const Example value{7, 12, 2, "x1", "ID: not an integer"};
  EXPECT_EQ(reject_reason(Check::type, value, "ID"), "ID: not an integer: x1");
  EXPECT_EQ(reject_reason(Check::column_count, {7, 0, 0, "a\\tb", "2 fields, expected 3"}, ""),
            "wrong number of fields: 2 fields, expected 3");
  EXPECT_EQ(reject_reason(Check::required_empty, {7, 3, 2, "", "ID is empty"}, "ID"), "required value missing: ID is empty");
  EXPECT_EQ(reject_reason(Check::date_empty, {7, 1, 1, "", "empty"}, "DAY"), "no date in DAY");
  EXPECT_EQ(reject_reason(Check::date_unparseable, {7, 1, 1, "2024-02-30", ""}, "DAY"),
            "not a valid date in DAY: 2024-02-30");
  EXPECT_EQ(reject_reason(Check::date_out_of_range, {7, 1, 1, "2024-02-01", ""}, "DAY"),
            "date outside the expected range in DAY: 2024-02-01");
  EXPECT_EQ(reject_reason(Check::unterminated_quote, {7, 5, 3, "\"open", ""}, ""), "quoted field never closed");
  EXPECT_EQ(reject_reason(Check::invalid_utf8, {7, 4, 0, "\\xe9", "byte 0xe9"}, ""),
            "not valid UTF-8 at column 4 (byte 0xe9)");
  std::set<std::string_view> ids;
  for (std::size_t i = 0; i < kScanChecks; ++i) {
    const CheckInfo& c = check_info(static_cast<Check>(i));
    EXPECT_EQ(c.scope == CheckScope::row, !c.reason.empty()) << c.id;
    ids.insert(c.id);
  }
  EXPECT_EQ(ids.size(), kScanChecks);
}

}  // namespace
}  // namespace sluice
