#include "tests/support/report_expectations.h"

#include <gtest/gtest.h>

#include "operations/sample_data.h"

namespace sluice::test {

const nlohmann::json& report_table(const nlohmann::json& report, const std::string& name) {
  for (const auto& t : report["tables"])
    if (t["table"] == name) return t;
  ADD_FAILURE() << "no table " << name << " in " << report.dump(2);
  static const nlohmann::json none;
  return none;
}

void expect_loaded_sample_month(const nlohmann::json& t, const std::string& target, const std::string& date_column) {
  EXPECT_EQ(t["target"], target);
  EXPECT_EQ(t["status"], "ok");
  EXPECT_EQ(t["exists"], true);
  EXPECT_EQ(t["rows"], 3100);
  EXPECT_EQ(t["columns"], sample_columns().size());
  EXPECT_EQ(t["date_column"], date_column);
  EXPECT_EQ(t["first_day"], "2024-01-01");
  EXPECT_EQ(t["last_day"], "2024-01-31");
  EXPECT_EQ(t["days_with_rows"], 31);
  EXPECT_EQ(t["rows_per_month"], (nlohmann::json{{"2024-01", 3100}}));
  EXPECT_EQ(t["last_load"]["file"], "factLending_20240101-20240131.tsv");
  EXPECT_EQ(t["last_load"]["rows"], 3100);
  EXPECT_EQ(t["last_load"]["from"], "2024-01-01");
  EXPECT_EQ(t["last_load"]["to"], "2024-01-31");
  EXPECT_TRUE(t["validation"].is_null());
}

void expect_validated_daily(const nlohmann::json& t) {
  EXPECT_EQ(t["rows"], 35 * 7);
  EXPECT_EQ(t["columns"], 4);
  EXPECT_EQ(t["first_day"], "2023-12-30");
  EXPECT_EQ(t["last_day"], "2024-02-02");
  EXPECT_EQ(t["rows_per_month"], (nlohmann::json{{"2023-12", 14}, {"2024-01", 217}, {"2024-02", 14}}));
  EXPECT_TRUE(t["last_load"].is_null());
  EXPECT_EQ(t["validation"]["status"], "PASS");
  EXPECT_EQ(t["validation"]["from"], "2024-01-01");
  EXPECT_EQ(t["validation"]["to"], "2024-01-31");
  EXPECT_EQ(t["validation"]["rows"], 217);
}

void expect_missing(const nlohmann::json& t) {
  EXPECT_EQ(t["status"], "missing");
  EXPECT_EQ(t["exists"], false);
  EXPECT_EQ(t["columns"], 0);
}

}  // namespace sluice::test
