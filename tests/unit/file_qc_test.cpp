// The merge of chunk partials into a verdict: line offsets, day ranges, and each kind of finding.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "tests/support/scan_file.h"
#include "validators/file_qc/file_qc.h"

namespace sluice {
namespace {

QcSettings jan_settings() {
  QcSettings s = test::columns_qc({"DAY", "ID"});
  s.date_field = 0;
  s.expected_range = DateRange::month(2024, 1);
  return s;
}

void all_days_but(ChunkQc& c, std::initializer_list<int> skip) {
  for (int d = 1; d <= 31; ++d)
    if (std::find(skip.begin(), skip.end(), d) == skip.end()) c.days.add(days_from_civil(2024, 1, d));
}

const Finding* find(const QcReport& r, const std::string& check) {
  for (const auto& f : r.findings)
    if (f.id() == check) return &f;
  return nullptr;
}

TEST(FileQc, CleanMonthPasses) {
  FileQc qc(jan_settings());
  ChunkQc c;
  all_days_but(c, {});
  qc.merge(std::move(c), 1);
  const QcReport r = qc.finish(31);
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.rows_per_day.size(), 31u);
  EXPECT_EQ(r.found_range->str(), "2024-01-01..2024-01-31");
}

TEST(FileQc, ExamplesFromLaterChunksGetAbsoluteLines) {
  FileQc qc(jan_settings());
  ChunkQc a, b;
  all_days_but(a, {});
  a.list(Check::column_count).add({4, 0, 0, "x", "1 field, expected 2"});
  b.list(Check::column_count).add({0, 0, 0, "y", "3 fields, expected 2"});
  qc.merge(std::move(a), 1);      // chunk a starts at line 1
  qc.merge(std::move(b), 1001);   // chunk b starts at line 1001
  const QcReport r = qc.finish(2000);
  const Finding* f = find(r, "column_count");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->count, 2u);
  EXPECT_EQ(f->examples[0].line, 5u);
  EXPECT_EQ(f->examples[1].line, 1001u);
  EXPECT_FALSE(r.passed());
}

TEST(FileQc, MissingDaysAreGroupedIntoRangesIncludingLeadingAndTrailingDays) {
  FileQc qc(jan_settings());
  ChunkQc c;
  all_days_but(c, {1, 2, 15, 30, 31});
  qc.merge(std::move(c), 1);
  const QcReport r = qc.finish(26);
  const Finding* f = find(r, "missing_days");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->count, 5u);
  EXPECT_EQ(f->message, "5 days of 2024-01-01..2024-01-31 have no rows");
  ASSERT_EQ(f->details.size(), 3u);
  EXPECT_EQ(f->details[0], "2024-01-01..2024-01-02 (2 days)");
  EXPECT_EQ(f->details[1], "2024-01-15");
  EXPECT_EQ(f->details[2], "2024-01-30..2024-01-31 (2 days)");
}

TEST(FileQc, NoRowsInTheRangeIsAWhollyMissingMonth) {
  FileQc qc(jan_settings());
  ChunkQc c;
  c.days.add(days_from_civil(2024, 2, 1));
  c.list(Check::date_out_of_range).add({1, 1, 1, "2024-02-01", ""});
  qc.merge(std::move(c), 1);
  const QcReport r = qc.finish(1);
  const Finding* f = find(r, "missing_days");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->count, 31u);
  EXPECT_NE(f->message.find("no rows at all"), std::string::npos);
  ASSERT_TRUE(find(r, "date_out_of_range"));
}

TEST(FileQc, WithoutAnExpectedRangeGapsBetweenFirstAndLastDayCount) {
  QcSettings s = jan_settings();
  s.expected_range.reset();
  FileQc qc(s);
  ChunkQc c;
  c.days.add(days_from_civil(2024, 1, 5));
  c.days.add(days_from_civil(2024, 1, 8));
  qc.merge(std::move(c), 1);
  const QcReport r = qc.finish(2);
  const Finding* f = find(r, "missing_days");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->details.front(), "2024-01-06..2024-01-07 (2 days)");
}

TEST(FileQc, DateChecksOffWithQcNone) {
  QcSettings s = jan_settings();
  s.check_dates = false;
  FileQc qc(s);
  ChunkQc c;
  c.days.add(days_from_civil(2024, 1, 5));
  qc.merge(std::move(c), 1);
  EXPECT_TRUE(qc.finish(1).passed());
}

TEST(FileQc, ExampleListKeepsTheFirstTenAndCountsAll) {
  ExampleList l;
  for (int i = 0; i < 25; ++i) l.add({static_cast<std::uint64_t>(i), 0, 0, "", ""});
  EXPECT_EQ(l.count(), 25u);
  ASSERT_EQ(l.examples().size(), ExampleList::kMaxExamples);
  EXPECT_EQ(l.examples().back().line, 9u);
}

TEST(FileQc, ExamplesPastTheCapAreNeverMade) {
  // A file whose every row fails a check pays for ten examples, not for one per failing value.
  ExampleList l;
  int made = 0;
  for (int i = 0; i < 1000; ++i) l.add_with([&] {
      ++made;
      return Example{static_cast<std::uint64_t>(i), 0, 0, "", ""};
    });
  EXPECT_EQ(l.count(), 1000u);
  EXPECT_EQ(made, static_cast<int>(ExampleList::kMaxExamples));
}

TEST(FileQc, EveryScanCheckIsReportedInTheTablesOrderAndWords) {
  QcSettings s = jan_settings();
  s.column_names = {"DAY", "ID", "AMOUNT"};
  s.required = {false, true, false};
  FileQc qc(s);
  ChunkQc c;
  all_days_but(c, {});
  for (std::size_t i = kScanChecks; i-- > 0;) c.lists[i].add({i, 1, 1, "v", "n"});  // backwards: order is the report's
  c.rows_by_field_count[2] = 1;
  qc.merge(std::move(c), 1);
  const QcReport r = qc.finish(40);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"column_count", "1 row with a number of fields other than 3"},
      {"unterminated_quote", "a quoted field is never closed"},
      {"stray_quote", "1 field with a quote that RFC 4180 does not allow there, read as text"},
      {"invalid_utf8", "1 row with bytes that are not valid UTF-8 (or a NUL byte)"},
      {"type", "1 value that the column's type does not accept"},
      {"required_empty", "1 empty value in required columns"},
      {"date_empty", "1 row with no value in date column DAY"},
      {"date_unparseable", "1 row with a value in DAY that is not a valid date (YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)"},
      {"date_out_of_range", "1 row dated outside the expected range 2024-01-01..2024-01-31"},
  };
  ASSERT_EQ(r.findings.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Finding& f = r.findings[i];
    EXPECT_EQ(f.id(), expected[i].first);
    EXPECT_EQ(f.message, expected[i].second);
    EXPECT_EQ(f.severity, f.check == Check::stray_quote ? Severity::warning : Severity::error) << f.id();
    EXPECT_FALSE(f.hint.empty()) << f.id() << " says nothing about what to do";
    ASSERT_EQ(f.examples.size(), 1u);
    EXPECT_EQ(f.examples[0].line, i + 1);  // chunk line i, in a chunk that starts at line 1
  }
  EXPECT_EQ(r.findings[0].details, (std::vector<std::string>{"1 row with 2 fields"}));
  EXPECT_EQ(r.findings[3].details, (std::vector<std::string>{"The examples show each such byte as \\xHH."}));
  EXPECT_NE(r.findings[3].hint.find("set encoding: latin-1"), std::string::npos) << r.findings[3].hint;
}

TEST(FileQc, SettingRowsAsideMakesOnlyTheRowChecksWarnings) {
  QcSettings s = jan_settings();
  s.expected_range = DateRange::month(2024, 2);  // every day of February missing: a file-level error
  FileQc qc(s);
  ChunkQc c;
  c.days.add(days_from_civil(2024, 2, 1));
  c.list(Check::type).add({3, 5, 2, "x", "ID: not an integer"});
  c.list(Check::stray_quote).add({4, 1, 1, "27\" monitor", "quote inside an unquoted field"});
  qc.merge(std::move(c), 1);
  QcReport r = qc.finish(2);
  set_aside_row_findings(r);
  const Finding* type = find(r, "type");
  ASSERT_TRUE(type);
  EXPECT_EQ(type->severity, Severity::warning);
  EXPECT_EQ(type->message, "1 value that the column's type does not accept (set aside in the reject file)");
  ASSERT_TRUE(find(r, "missing_days"));
  EXPECT_EQ(find(r, "missing_days")->severity, Severity::error);
  EXPECT_EQ(find(r, "stray_quote")->message.find("set aside"), std::string::npos);
  EXPECT_FALSE(r.passed());
}

TEST(FileQc, DayCountsMergeAcrossChunks) {
  DayCounts a, b;
  const DayNumber d = days_from_civil(2024, 1, 3);
  a.add(d);
  a.add(d);
  b.add(d);
  b.add(d + 1);
  a.merge(b);
  auto m = a.sorted();
  EXPECT_EQ(m[d], 3u);
  EXPECT_EQ(m[d + 1], 1u);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// File QC and validate give the same verdict on the same days (day_anomaly_findings serves both).
QcReport month_with_days(const std::map<DayNumber, std::uint64_t>& days, bool low_days_fail) {
  QcSettings s = jan_settings();
  s.low_days_fail = low_days_fail;
  FileQc qc(s);
  ChunkQc c;
  std::uint64_t rows = 0;
  for (const auto& [d, n] : days)
    for (std::uint64_t i = 0; i < n; ++i, ++rows) c.days.add(d);
  qc.merge(std::move(c), 1);
  return qc.finish(rows);
}

TEST(FileQcAnomalies, AVeryLowDayFailsAsInValidateUnlessTheTableSaysWarn) {
  std::map<DayNumber, std::uint64_t> days;
  const DateRange jan = DateRange::month(2024, 1);
  for (DayNumber d = jan.first; d <= jan.last; ++d) days[d] = 1000 + static_cast<std::uint64_t>(d % 7) * 20;
  days[days_from_civil(2024, 1, 9)] = 50;

  const QcReport failing = month_with_days(days, true);
  EXPECT_FALSE(failing.passed());
  const Finding* f = find(failing, "day_anomalies");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_EQ(f->count, 1u);
  EXPECT_NE(f->details[0].find("2024-01-09: 50 rows"), std::string::npos) << f->details[0];
  EXPECT_NE(f->details[0].find("severely low"), std::string::npos);

  const QcReport warned = month_with_days(days, false);
  EXPECT_TRUE(warned.passed());
  ASSERT_NE(find(warned, "day_anomalies"), nullptr);
  EXPECT_EQ(find(warned, "day_anomalies")->severity, Severity::warning);
  EXPECT_NE(find(warned, "day_anomalies")->message.find("low_days: warn"), std::string::npos);
}

TEST(FileQcAnomalies, SmallDeviationsFromAnEvenSpreadAreNotOutliers) {
  // A snapshot table: 200 rows every day, so Q1 = Q3 and the IQR is 0.
  std::map<DayNumber, std::uint64_t> days;
  const DateRange jan = DateRange::month(2024, 1);
  for (DayNumber d = jan.first; d <= jan.last; ++d) days[d] = 200;
  days[days_from_civil(2024, 1, 10)] = 198;
  days[days_from_civil(2024, 1, 20)] = 203;
  const auto stats = day_statistics(days, jan);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->q1, stats->q3);
  EXPECT_TRUE(stats->anomalies.empty()) << to_string(stats->anomalies.front().kind);
  EXPECT_TRUE(month_with_days(days, true).findings.empty());

  // A day a fifth below the median is still an outlier, and fails.
  days[days_from_civil(2024, 1, 10)] = 150;
  const QcReport r = month_with_days(days, true);
  EXPECT_FALSE(r.passed());
  ASSERT_NE(find(r, "day_anomalies"), nullptr);
  EXPECT_NE(find(r, "day_anomalies")->details[0].find("2024-01-10: 150 rows"), std::string::npos);
  EXPECT_NE(find(r, "day_anomalies")->details[0].find("outlier low"), std::string::npos);
}

TEST(FileQcAnomalies, EvenDaysAndWeekendDipsAreNotAnomalies) {
  std::map<DayNumber, std::uint64_t> days;
  const DateRange jan = DateRange::month(2024, 1);
  for (DayNumber d = jan.first; d <= jan.last; ++d) {
    const int weekday = (d + 4) % 7;  // 1970-01-01 was a Thursday
    days[d] = weekday >= 5 ? 700 : 1000;
  }
  const auto stats = day_statistics(days, jan);
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->anomalies.empty());
}

}  // namespace
}  // namespace sluice
