// `sluice report` on Snowflake: a table loaded by sluice (its last load from SLUICE_LOAD_HISTORY), a
// table filled by hand and validated (the verdict from SLUICE_VALIDATION_HISTORY), and a missing
// table, field by field in the JSON output.
#include <gtest/gtest.h>

#include "tests/support/snowflake_fixture.h"

namespace sluice::test {
namespace {

class ReportSnowflake : public SnowflakeFixture {};

const nlohmann::json& table_of(const nlohmann::json& j, const std::string& name) {
  for (const auto& t : j["tables"])
    if (t["table"] == name) return t;
  static const nlohmann::json none;
  ADD_FAILURE() << name << " not in " << j.dump(2);
  return none;
}

TEST_F(ReportSnowflake, EveryTableFieldByField) {
  write_config(sample_yaml() + daily_yaml("DAILY") + daily_yaml("NOT_THERE"));
  SampleDataOptions o;
  o.rows = 3100;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const auto load = run({"--batch", "load", "--files", file.string(), "--create"});
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err << sf_->stderr_text();
  create_daily("DAILY", "integer", "2023-12-30", "2024-02-02", 7);
  ASSERT_EQ(run({"--batch", "validate", "--table", "DAILY", "--month", "2024-01"}).exit_code, 0);

  const auto r = run({"--batch", "report", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  const auto j = json_of(r);
  ASSERT_EQ(j["tables"].size(), 3u) << j.dump(2);

  const auto& fact = table_of(j, "FACT_LENDING");
  EXPECT_EQ(fact["target"], schema_ + ".FACT_LENDING");
  EXPECT_EQ(fact["connection"], "snow");
  EXPECT_EQ(fact["status"], "ok");
  EXPECT_EQ(fact["exists"], true);
  EXPECT_EQ(fact["rows"], 3100);
  EXPECT_EQ(fact["columns"], sample_columns().size());
  EXPECT_EQ(fact["date_column"], "RECORDDATEID");
  EXPECT_EQ(fact["first_day"], "2024-01-01");
  EXPECT_EQ(fact["last_day"], "2024-01-31");
  EXPECT_EQ(fact["days_with_rows"], 31);
  EXPECT_EQ(fact["rows_per_month"], (nlohmann::json{{"2024-01", 3100}}));
  EXPECT_EQ(fact["last_load"]["file"], "factLending_20240101-20240131.tsv");
  EXPECT_EQ(fact["last_load"]["rows"], 3100);
  EXPECT_EQ(fact["last_load"]["from"], "2024-01-01");
  EXPECT_EQ(fact["last_load"]["to"], "2024-01-31");
  EXPECT_TRUE(fact["validation"].is_null());

  const auto& daily = table_of(j, "DAILY");
  EXPECT_EQ(daily["rows"], 35 * 7);
  EXPECT_EQ(daily["columns"], 4);
  EXPECT_EQ(daily["first_day"], "2023-12-30");
  EXPECT_EQ(daily["last_day"], "2024-02-02");
  EXPECT_EQ(daily["rows_per_month"], (nlohmann::json{{"2023-12", 14}, {"2024-01", 217}, {"2024-02", 14}}));
  EXPECT_TRUE(daily["last_load"].is_null());
  EXPECT_EQ(daily["validation"]["status"], "PASS");
  EXPECT_EQ(daily["validation"]["from"], "2024-01-01");
  EXPECT_EQ(daily["validation"]["to"], "2024-01-31");
  EXPECT_EQ(daily["validation"]["rows"], 217);

  const auto& missing = table_of(j, "NOT_THERE");
  EXPECT_EQ(missing["status"], "missing");
  EXPECT_EQ(missing["exists"], false);
  EXPECT_EQ(missing["columns"], 0);
}

}  // namespace
}  // namespace sluice::test
