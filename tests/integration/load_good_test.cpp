// A clean month loads completely: every row, the same contents psql's \copy gives, one history row.
#include <gtest/gtest.h>

#include "tests/support/load_fixture.h"

namespace sluice::test {
namespace {

class LoadGood : public LoadFixture {};

TEST_F(LoadGood, MonthLoadsEveryRowWithTheSameContentsAsPsqlCopy) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 25000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");

  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Loaded 1 file, 25,000 rows"), std::string::npos) << r.out;

  EXPECT_EQ(count("fact_lending"), 25000);
  psql_copy(file.string(), "reference", "fact_lending");
  EXPECT_EQ(digest("fact_lending"), digest("reference"));

  EXPECT_EQ(scalar("SELECT rows_loaded || ' ' || file_name || ' ' || date_from || ' ' || date_to || ' ' || qc_mode FROM " +
                   schema_ + ".sluice_load_history"),
            "25000 factLending_20240101-20240131.tsv 2024-01-01 2024-01-31 file");
}

TEST_F(LoadGood, ExplicitFilesTakeTheRangeFromTheFileName) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 3000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const auto r = run({"--batch", "load", "--files", file.string(), "--create", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"expected_range\": \"2024-01-01..2024-01-31\""), std::string::npos) << r.out;
  EXPECT_EQ(count("fact_lending"), 3000);
}

TEST_F(LoadGood, MissingTableWithoutCreateIsAUsageErrorAndLoadsNothing) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 100;
  generate(o, "factLending_20240101-20240131.tsv");
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("does not exist"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--create"), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("fact_lending"));
}

TEST_F(LoadGood, NoFileForTheMonthIsAUsageError) {
  write_sample_config();
  const auto r = run({"--batch", "load", "--month", "2024-03", "--base-path", dir_.path().string(), "--create"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("factLending_20240301-20240331.tsv"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice::test
