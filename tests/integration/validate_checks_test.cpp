// `sluice validate`: each check finds its planted defect (a low day, duplicate keys, NULLs in a
// required column, rows missing against the load history, a missing table) and says where; every
// kind of date column reads the same; all tables at once, CSV and --output.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/warehouse_fixture.h"

namespace sluice::test {
namespace {

class ValidateChecks : public WarehouseFixture {
 protected:
  nlohmann::json validate_month(int expected_exit, const std::string& month = "2024-01") {
    const auto r = run({"--batch", "validate", "--month", month, "--format", "json"});
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
    return json_of(r);
  }
  static const nlohmann::json* finding(const nlohmann::json& table, const std::string& check) {
    for (const auto& f : table["findings"])
      if (f["check"] == check) return &f;
    return nullptr;
  }
};

TEST_F(ValidateChecks, ASeverelyLowDayFails) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 50);
  exec("DELETE FROM " + schema_ + ".daily WHERE day = 20240115 AND asset > 3");  // 3 of 50 rows left
  const auto t = validate_month(3)["tables"][0];
  ASSERT_EQ(t["anomalies"].size(), 1u) << t.dump(2);
  EXPECT_EQ(t["anomalies"][0]["date"], "2024-01-15");
  EXPECT_EQ(t["anomalies"][0]["rows"], 3);
  EXPECT_EQ(t["anomalies"][0]["severity"], "severely_low");
  const auto* f = finding(t, "day_anomalies");
  ASSERT_NE(f, nullptr) << t.dump(2);
  EXPECT_EQ((*f)["severity"], "error");
  EXPECT_TRUE(t["missing_days"].empty());
}

TEST_F(ValidateChecks, AnOutlierLowDayFailsAndAHighDayOnlyWarns) {
  // Days vary 95..105 rows; one day with 60 (above 50% of the mean, below Q1 - 1.5 IQR) and one
  // with 200 (above Q3 + 1.5 IQR).
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 105);
  exec("DELETE FROM " + schema_ + ".daily WHERE asset > 95 + (day % 11)");
  exec("DELETE FROM " + schema_ + ".daily WHERE day = 20240110 AND asset > 60");
  exec("INSERT INTO " + schema_ + ".daily SELECT 20240120, a, a * 1.5, 'extra' FROM generate_series(1000, 1099) a");
  const auto t = validate_month(3)["tables"][0];
  ASSERT_EQ(t["anomalies"].size(), 2u) << t.dump(2);
  EXPECT_EQ(t["anomalies"][0]["date"], "2024-01-10");
  EXPECT_EQ(t["anomalies"][0]["rows"], 60);
  EXPECT_EQ(t["anomalies"][0]["severity"], "outlier_low");
  EXPECT_EQ(t["anomalies"][1]["date"], "2024-01-20");
  EXPECT_EQ(t["anomalies"][1]["severity"], "outlier_high");
  EXPECT_EQ((*finding(t, "day_anomalies"))["count"], 1);
  EXPECT_EQ((*finding(t, "unusual_days"))["severity"], "warning");
  EXPECT_EQ(t["reasons"].size(), 1u) << t.dump(2);
}

TEST_F(ValidateChecks, AnEvenMonthWithTinyDeviationsPassesAsFileQcPassesIt) {
  // 200 rows every day (IQR 0); one day 198, one 203: neither is an outlier.
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 200);
  exec("DELETE FROM " + schema_ + ".daily WHERE day = 20240110 AND asset > 198");
  exec("INSERT INTO " + schema_ + ".daily SELECT 20240120, a, a * 1.5, 'extra' FROM generate_series(201, 203) a");
  const auto t = validate_month(0)["tables"][0];
  EXPECT_EQ(t["status"], "PASS") << t.dump(2);
  EXPECT_TRUE(t["anomalies"].empty()) << t.dump(2);
}

TEST_F(ValidateChecks, LowDaysWarnMakesAFarLowDayAWarning) {
  std::string yaml = daily_yaml("DAILY", "integer");
  yaml.insert(yaml.find("    columns:"), "    low_days: warn\n");
  write_config(yaml);
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 50);
  exec("DELETE FROM " + schema_ + ".daily WHERE day = 20240115 AND asset > 3");
  const auto t = validate_month(0)["tables"][0];
  EXPECT_EQ(t["status"], "PASS") << t.dump(2);
  const auto* f = finding(t, "day_anomalies");
  ASSERT_NE(f, nullptr) << t.dump(2);
  EXPECT_EQ((*f)["severity"], "warning");
}

TEST_F(ValidateChecks, DuplicateKeysAreCountedWithTheWorstFirst) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 20);
  const std::string t5 = schema_ + ".daily";
  // Key (20240105, 7) three times, (20240105, 8) and (20240106, 1) twice: 3 keys, 4 excess rows.
  exec("INSERT INTO " + t5 + " SELECT * FROM " + t5 + " WHERE day = 20240105 AND asset = 7");
  exec("INSERT INTO " + t5 + " SELECT * FROM " + t5 + " WHERE day = 20240105 AND asset = 7 LIMIT 1");
  exec("INSERT INTO " + t5 + " SELECT * FROM " + t5 + " WHERE (day = 20240105 AND asset = 8) OR (day = 20240106 AND asset = 1)");
  const auto t = validate_month(3)["tables"][0];
  const auto& d = t["duplicates"];
  EXPECT_EQ(d["columns"], nlohmann::json::array({"day", "asset"}));
  EXPECT_EQ(d["keys"], 3);
  EXPECT_EQ(d["excess_rows"], 4);
  EXPECT_EQ(d["max_rows_per_key"], 3);
  ASSERT_EQ(d["examples"].size(), 3u);
  EXPECT_EQ(d["examples"][0]["key"], (nlohmann::json{{"day", "20240105"}, {"asset", "7"}}));
  EXPECT_EQ(d["examples"][0]["rows"], 3);
  EXPECT_EQ(d["examples"][1]["key"], (nlohmann::json{{"day", "20240105"}, {"asset", "8"}}));
  EXPECT_EQ(d["examples"][2]["key"], (nlohmann::json{{"day", "20240106"}, {"asset", "1"}}));
  EXPECT_NE(finding(t, "duplicate_keys"), nullptr);
}

TEST_F(ValidateChecks, DuplicatesOutsideTheRangeDoNotCount) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-02-29", 10);
  exec("INSERT INTO " + schema_ + ".daily SELECT * FROM " + schema_ + ".daily WHERE day = 20240210");
  EXPECT_EQ(validate_month(0)["tables"][0]["duplicates"]["keys"], 0);
  EXPECT_EQ(validate_month(3, "2024-02")["tables"][0]["duplicates"]["keys"], 10);
}

TEST_F(ValidateChecks, NullsInRequiredColumnsAreCountedPerColumn) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 20);
  exec("UPDATE " + schema_ + ".daily SET amount = NULL WHERE day = 20240103 AND asset <= 4");
  exec("UPDATE " + schema_ + ".daily SET note = NULL WHERE day = 20240104");  // NOTE is not required
  const auto t = validate_month(3)["tables"][0];
  EXPECT_EQ(t["required_nulls"], (nlohmann::json{{"day", 0}, {"asset", 0}, {"amount", 4}}));
  const auto* f = finding(t, "required_nulls");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["count"], 4);
  EXPECT_EQ((*f)["details"][0], "daily.amount: 4 NULLs");
}

class ValidateDateTypes : public ValidateChecks, public ::testing::WithParamInterface<const char*> {};

TEST_P(ValidateDateTypes, EveryKindOfDateColumnReadsTheSame) {
  const std::string type = GetParam();
  write_config(daily_yaml("DAILY", type));
  create_daily("daily", type, "2023-12-25", "2024-02-05", 12);
  exec("DELETE FROM " + schema_ + ".daily WHERE day = " + day_value(type, "2024-01-31"));
  const auto t = validate_month(3)["tables"][0];
  EXPECT_EQ(t["rows"], 30 * 12) << t.dump(2);
  EXPECT_EQ(t["days_with_rows"], 30);
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-31"}));
  EXPECT_EQ(t["rows_per_day"]["2024-01-01"], 12);
  EXPECT_EQ(t["duplicates"]["keys"], 0);
  // Duplicates and NULLs are looked for in the month only.
  exec("INSERT INTO " + schema_ + ".daily SELECT * FROM " + schema_ + ".daily WHERE day = " + day_value(type, "2024-01-02") +
       " AND asset = 5");
  exec("UPDATE " + schema_ + ".daily SET amount = NULL WHERE day = " + day_value(type, "2023-12-30"));
  const auto t2 = validate_month(3)["tables"][0];
  EXPECT_EQ(t2["duplicates"]["keys"], 1);
  EXPECT_EQ(t2["required_nulls"]["amount"], 0);
}

INSTANTIATE_TEST_SUITE_P(Types, ValidateDateTypes, ::testing::Values("integer", "date", "timestamp", "text"));

TEST_F(ValidateChecks, RowsAreComparedWithTheLoadHistory) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 3100;
  generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"}).exit_code, 0);
  auto t = validate_month(0)["tables"][0];
  EXPECT_EQ(t["status"], "PASS") << t.dump(2);
  EXPECT_EQ(t["history"], (nlohmann::json{{"from", "2024-01-01"}, {"to", "2024-01-31"}, {"expected_rows", 3100},
                                          {"actual_rows", 3100}, {"loads", 1}, {"deletes", 0}}));
  // Rows removed behind sluice's back: 7 rows of the 9th.
  exec("DELETE FROM " + schema_ + ".fact_lending WHERE ctid IN (SELECT ctid FROM " + schema_ +
       ".fact_lending WHERE recorddateid = 20240109 LIMIT 7)");
  t = validate_month(3)["tables"][0];
  EXPECT_EQ(t["history"]["expected_rows"], 3100);
  EXPECT_EQ(t["history"]["actual_rows"], 3093);
  const auto* f = finding(t, "history_mismatch");
  ASSERT_NE(f, nullptr) << t.dump(2);
  EXPECT_EQ((*f)["count"], 7);
  EXPECT_NE((*f)["message"].get<std::string>().find("holds 3,093 rows in 2024-01-01..2024-01-31 but the load history says 3,100"),
            std::string::npos);
}

TEST_F(ValidateChecks, AMissingTableFailsAndTheOthersAreStillChecked) {
  write_config(daily_yaml("DAILY", "integer") + daily_yaml("NOT_THERE", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 5);
  const auto j = validate_month(3);
  ASSERT_EQ(j["tables"].size(), 2u);
  EXPECT_EQ(j["tables"][0]["status"], "PASS");
  EXPECT_EQ(j["tables"][1]["status"], "FAIL");
  EXPECT_EQ(j["tables"][1]["exists"], false);
  EXPECT_EQ(j["tables"][1]["findings"][0]["check"], "table_missing");
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["exit_code"], 3);
}

TEST_F(ValidateChecks, OneTableCsvToAFileAndTheVerdictIsRecorded) {
  write_config(daily_yaml("DAILY", "integer") + daily_yaml("OTHER", "date"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 5);
  create_daily("other", "date", "2024-01-02", "2024-01-31", 5);
  const auto out = dir_ / "v.csv";
  const auto r = run({"--batch", "validate", "--table", "daily", "--month", "2024-01", "--format", "csv", "--output", out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string csv = ss.str();
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "table,target,connection,status,rows,checked_from,checked_to,days_expected,days_with_rows,missing_days,gaps,"
            "anomalous_days,duplicate_keys,duplicate_excess_rows,required_nulls,history_expected_rows,history_actual_rows,reasons");
  EXPECT_NE(csv.find("\nDAILY," + schema_ + ".daily,test,PASS,155,2024-01-01,2024-01-31,31,31,0,0,0,0,0,0,,,\n"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2);

  const auto all = run({"--batch", "validate", "--month", "2024-01"});
  EXPECT_EQ(all.exit_code, 3) << all.out << all.err;
  EXPECT_EQ(scalar("SELECT string_agg(table_name || ':' || passed, ',' ORDER BY validated_at, table_name) FROM " + schema_ +
                   ".sluice_validation_history"),
            "daily:true,daily:true,other:false");
}

}  // namespace
}  // namespace sluice::test
