// `sluice report` across two configs: every field of every table checked in JSON (exists, rows,
// columns, first and last day, rows per month, last load, validation verdict), the largest, empty
// and missing tables, and the CSV and text forms.
#include <gtest/gtest.h>

#include <fstream>

#include <fmt/format.h>

#include "tests/support/report_expectations.h"
#include "tests/support/test_postgres.h"
#include "tests/support/warehouse_fixture.h"

namespace sluice::test {
namespace {

class Report : public WarehouseFixture {
 protected:
  // Config A (dir_/sluice.yaml): the sample table loaded by sluice, DAILY filled by SQL, EMPTY_ONE
  // created empty, NOT_THERE never created. Config B (dir_/b.yaml): OTHER, a date-column table.
  void SetUp() override {
    WarehouseFixture::SetUp();
    write_sample_config();
    std::ofstream(config_, std::ios::app) << daily_yaml("DAILY", "integer") << daily_yaml("EMPTY_ONE", "date")
                                          << daily_yaml("NOT_THERE", "integer");
    SampleDataOptions o;
    o.rows = 3100;
    generate(o, "factLending_20240101-20240131.tsv");
    const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    create_daily("daily", "integer", "2023-12-30", "2024-02-02", 7);
    create_daily("empty_one", "date", "2024-01-01", "2024-01-01", 0);
    create_daily("other", "date", "2024-03-01", "2024-03-10", 2);
    config_b_ = dir_ / "b.yaml";
    std::ofstream(config_b_) << "target: test\nconnections:\n  test: { type: postgres, dsn: \"" << TestPostgres::conninfo()
                             << "\", schema: " << schema_ << " }\ntables:\n"
                             << daily_yaml("OTHER", "date");
  }
  std::filesystem::path config_b_;
};

TEST_F(Report, EveryTableOfTwoConfigsFieldByField) {
  ASSERT_EQ(run({"--batch", "validate", "--table", "DAILY", "--month", "2024-01"}).exit_code, 0);
  const auto r = run({"--batch", "report", config_.string(), config_b_.string(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["configs"], nlohmann::json::array({config_.string(), config_b_.string()}));
  ASSERT_EQ(j["tables"].size(), 5u);

  const auto& fact = report_table(j, "FACT_LENDING");
  EXPECT_EQ(fact["config"], config_.string());
  expect_loaded_sample_month(fact, schema_ + ".fact_lending", "recorddateid");
  expect_validated_daily(report_table(j, "DAILY"));

  const auto& empty = report_table(j, "EMPTY_ONE");
  EXPECT_EQ(empty["status"], "empty");
  EXPECT_EQ(empty["exists"], true);
  EXPECT_EQ(empty["rows"], 0);
  EXPECT_TRUE(empty["first_day"].is_null());

  expect_missing(report_table(j, "NOT_THERE"));

  const auto& other = report_table(j, "OTHER");
  EXPECT_EQ(other["config"], config_b_.string());
  EXPECT_EQ(other["rows"], 20);
  EXPECT_EQ(other["rows_per_month"], (nlohmann::json{{"2024-03", 20}}));

  EXPECT_EQ(j["summary"], (nlohmann::json{{"tables", 5}, {"ok", 3}, {"empty", 1}, {"missing", 1}, {"errors", 0},
                                          {"total_rows", 3100 + 245 + 20},
                                          {"validation", {{"PASS", 1}, {"FAIL", 0}, {"never", 4}}}}));
  EXPECT_EQ(j["largest"], (nlohmann::json::array({{{"table", "FACT_LENDING"}, {"target", schema_ + ".fact_lending"}, {"rows", 3100}},
                                                   {{"table", "DAILY"}, {"target", schema_ + ".daily"}, {"rows", 245}},
                                                   {{"table", "OTHER"}, {"target", schema_ + ".other"}, {"rows", 20}}})));
  EXPECT_EQ(j["empty"], nlohmann::json::array({schema_ + ".empty_one"}));
  EXPECT_EQ(j["missing"], nlohmann::json::array({schema_ + ".not_there"}));
}

TEST_F(Report, CsvAndTextOfTheCurrentConfig) {
  const auto csv = run({"--batch", "report", "--table", "DAILY,NOT_THERE", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.out << csv.err;
  EXPECT_EQ(csv.out, "config,table,target,connection,status,rows,columns,first_day,last_day,days_with_rows,months,last_load_at,"
                     "last_load_file,last_load_rows,validation,validated_at,error\n" +
                         config_.string() + ",DAILY," + schema_ + ".daily,test,ok,245,4,2023-12-30,2024-02-02,35,3,,,,,,\n" +
                         config_.string() + ",NOT_THERE," + schema_ + ".not_there,test,missing,0,0,,,0,0,,,,,,\n");

  const auto text = run({"--batch", "report"});
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("Report of 4 tables in 1 config"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("2 with rows, 1 empty, 1 missing; 3,345 rows."), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Largest tables:\n  " + schema_ + ".fact_lending  3,100\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Missing tables:\n  " + schema_ + ".not_there (NOT_THERE, "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(schema_ + ".daily rows per month:\n  2023-12   14\n  2024-01  217\n  2024-02   14\n"), std::string::npos)
      << text.out;

  EXPECT_EQ(run({"--batch", "report", "--table", "NOPE"}).exit_code, 2);
}

}  // namespace
}  // namespace sluice::test
