// Each file QC failure stops the load (exit 3), names the exact line, and leaves the table as it was.
#include <gtest/gtest.h>

#include "tests/support/load_fixture.h"

namespace sluice::test {
namespace {

class LoadQcFailure : public LoadFixture {
 protected:
  // Loads a good January first so "unchanged" is checked against real contents.
  void preload() {
    write_sample_config();
    SampleDataOptions o;
    o.rows = 5000;
    o.seed = 7;
    generate(o, "factLending_20240101-20240131.tsv");
    auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    before_ = digest("fact_lending");
  }
  RunResult load_february(SampleDataOptions o) {
    o.year = 2024;
    o.month = 2;
    generate(o, "factLending_20240201-20240229.tsv");
    return run({"--batch", "load", "--month", "2024-02", "--base-path", dir_.path().string()});
  }
  std::string before_;
};

TEST_F(LoadQcFailure, RaggedRowIsReportedAtItsLine) {
  preload();
  SampleDataOptions o;
  o.rows = 20000;
  o.ragged_line = 12345;
  const auto r = load_february(o);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("column_count: 1 row with a number of fields other than"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("factLending_20240201-20240229.tsv:12345: "), std::string::npos) << r.out;
  EXPECT_EQ(digest("fact_lending"), before_);
  EXPECT_EQ(count("fact_lending", "\"recorddate\" >= '2024-02-01'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + schema_ + ".sluice_load_history"), "1");
}

TEST_F(LoadQcFailure, BadDateIsReportedWithLineColumnAndValue) {
  preload();
  SampleDataOptions o;
  o.rows = 20000;
  o.bad_date_line = 777;
  const auto r = load_february(o);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("date_unparseable"), std::string::npos) << r.out;
  // RECORDDATEID is the second field: column = length of RECORDDATE + tab + 1.
  EXPECT_NE(r.out.find("factLending_20240201-20240229.tsv:777:12 (field 2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"20240230\""), std::string::npos) << r.out;
  EXPECT_EQ(digest("fact_lending"), before_);
}

TEST_F(LoadQcFailure, DuplicateKeyIsReportedWithBothLines) {
  preload();
  SampleDataOptions o;
  o.rows = 20000;
  o.duplicate_line = 4321;  // repeats line 4320's (RECORDDATEID, ASSETID)
  const auto r = load_february(o);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("duplicate_key: 1 key (RECORDDATEID, ASSETID) occurs on more than one row: 1 extra row"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 rows, lines 4320, 4321"), std::string::npos) << r.out;
  EXPECT_EQ(digest("fact_lending"), before_);
  EXPECT_EQ(count("fact_lending", "\"recorddate\" >= '2024-02-01'"), 0);
}

TEST_F(LoadQcFailure, MissingDaysIncludingTheLastAreListed) {
  preload();
  SampleDataOptions o;
  o.rows = 20000;
  o.skip_days = {10, 11, 12, 29};
  const auto r = load_february(o);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("4 days of 2024-02-01..2024-02-29 have no rows"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2024-02-10..2024-02-12 (3 days)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2024-02-29\n"), std::string::npos) << r.out;
  EXPECT_EQ(digest("fact_lending"), before_);
}

TEST_F(LoadQcFailure, AFileOfTheWrongMonthIsWhollyMissingAndOutOfRange) {
  preload();
  SampleDataOptions o;
  o.rows = 2000;
  o.year = 2024;
  o.month = 3;  // March rows in a file named for February
  generate(o, "factLending_20240201-20240229.tsv");
  const auto r = run({"--batch", "load", "--month", "2024-02", "--base-path", dir_.path().string()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("2000 rows dated outside the expected range 2024-02-01..2024-02-29"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no rows at all are dated in the expected range"), std::string::npos) << r.out;
  EXPECT_EQ(digest("fact_lending"), before_);
}

TEST_F(LoadQcFailure, QcNoneStillRejectsRaggedRows) {
  preload();
  SampleDataOptions o;
  o.rows = 1000;
  o.ragged_line = 10;
  o.year = 2024;
  o.month = 2;
  generate(o, "factLending_20240201-20240229.tsv");
  const auto r = run({"--batch", "load", "--month", "2024-02", "--base-path", dir_.path().string(), "--qc", "none"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(digest("fact_lending"), before_);
}

TEST_F(LoadQcFailure, QcNoneLoadsAMonthWithMissingDays) {
  preload();
  SampleDataOptions o;
  o.rows = 1000;
  o.skip_days = {3};
  const auto r0 = [&] {
    o.year = 2024;
    o.month = 2;
    generate(o, "factLending_20240201-20240229.tsv");
    return run({"--batch", "load", "--month", "2024-02", "--base-path", dir_.path().string(), "--qc", "none"});
  }();
  EXPECT_EQ(r0.exit_code, 0) << r0.out << r0.err;
  EXPECT_EQ(count("fact_lending", "\"recorddate\" >= '2024-02-01'"), 1000);
}

TEST_F(LoadQcFailure, OneBadFileMeansNoTableOfTheMonthIsLoaded) {
  // Two tables; the second table's file fails QC, so the first is not loaded either.
  const TableSpec a = sample_table_spec("FACT_A", "factA_{month}.tsv", false);
  const TableSpec b = sample_table_spec("FACT_B", "factB_{month}.tsv", false);
  std::string yaml;
  for (const auto* t : {&a, &b}) {
    yaml += "  - table: " + t->table + "\n    file_pattern: \"" + t->feed.file_pattern + "\"\n    date_column: RECORDDATEID\n    columns:\n";
    for (const auto& c : t->columns) yaml += "      - { name: " + c.name + ", type: \"" + to_string(c.type) + "\" }\n";
  }
  write_config(yaml);
  SampleDataOptions good;
  good.rows = 3000;
  generate(good, "factA_2024-01.tsv");
  SampleDataOptions bad = good;
  bad.ragged_line = 2999;
  generate(bad, "factB_2024-01.tsv");
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("factB_2024-01.tsv:2999: "), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("fact_a"));
  EXPECT_FALSE(table_exists("fact_b"));
}

}  // namespace
}  // namespace sluice::test
