#include <gtest/gtest.h>

#include "core/error.h"
#include "operations/file_selection.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

Config two_tables() {
  Config c;
  c.path = "t.yaml";
  TableSpec a;
  a.table = "FACT_A";
  a.feed.file_pattern = "factA_{date_range}.tsv";
  TableSpec b;
  b.table = "FACT_B";
  b.feed.file_pattern = "factB_{month}.csv";
  c.tables = {a, b};
  return c;
}

TEST(FileSelection, PatternForMonthFillsBothPlaceholders) {
  EXPECT_EQ(pattern_for_month("x_{date_range}.tsv", 2024, 2), "x_20240201-20240229.tsv");
  EXPECT_EQ(pattern_for_month("x_{month}.tsv", 2024, 12), "x_2024-12.tsv");
}

TEST(FileSelection, MonthFindsPlainAndCompressedFilesAndReportsMissingOnes) {
  test::TempDir dir;
  dir.write("factA_20240101-20240131.tsv.zst", "x");
  const Config c = two_tables();
  const auto sel = select_by_month(c, "2024-01", dir.path(), {});
  ASSERT_EQ(sel.files.size(), 1u);
  EXPECT_EQ(sel.files[0].path.filename(), "factA_20240101-20240131.tsv.zst");
  EXPECT_EQ(sel.files[0].table->table, "FACT_A");
  EXPECT_EQ(sel.files[0].expected_range->str(), "2024-01-01..2024-01-31");
  ASSERT_EQ(sel.not_found.size(), 1u);
  EXPECT_NE(sel.not_found[0].find("factB_2024-01.csv"), std::string::npos);
}

TEST(FileSelection, TwoCandidatesForOneTableIsAnError) {
  test::TempDir dir;
  dir.write("factA_20240101-20240131.tsv", "x");
  dir.write("factA_20240101-20240131.tsv.gz", "x");
  const Config c = two_tables();
  EXPECT_THROW(select_by_month(c, "2024-01", dir.path(), {}), Error);
}

TEST(FileSelection, ExplicitFilesMatchPatternsAndTakeTheirRange) {
  test::TempDir dir;
  const auto a = dir.write("factA_20240105-20240110.tsv.gz", "x");
  const auto b = dir.write("factB_2024-03.csv", "x");
  const Config c = two_tables();
  const auto files = select_files(c, {a.string(), b.string()}, "");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].table->table, "FACT_A");
  EXPECT_EQ(files[0].expected_range->str(), "2024-01-05..2024-01-10");
  EXPECT_EQ(files[1].table->table, "FACT_B");
  EXPECT_EQ(files[1].expected_range->str(), "2024-03-01..2024-03-31");
}

TEST(FileSelection, UnmatchedFileNamesThePatterns) {
  test::TempDir dir;
  const auto f = dir.write("other.tsv", "x");
  const Config c = two_tables();
  try {
    select_files(c, {f.string()}, "");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_NE(e.detail().find("factA_{date_range}.tsv"), std::string::npos);
  }
}

TEST(FileSelection, InvalidMonthIsAUsageError) {
  test::TempDir dir;
  const Config c = two_tables();
  try {
    select_by_month(c, "2024-13", dir.path(), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
  }
}

}  // namespace
}  // namespace sluice
