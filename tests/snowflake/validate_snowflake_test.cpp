// `sluice validate` on a Snowflake connection (the SQL API emulator over PostgreSQL): clean data
// passes with exit code 0, and each planted defect (missing first day, missing last day, an empty
// month, an interior gap, a severely low day, duplicate keys, NULLs in a required column) fails
// with exit code 3, the JSON output naming it field by field.
#include <gtest/gtest.h>

#include <set>

#include <fmt/format.h>

#include "tests/support/snowflake_fixture.h"

namespace sluice::test {
namespace {

class ValidateSnowflake : public SnowflakeFixture {
 protected:
  // DAILY over January 2024, 40 rows a day.
  void SetUp() override {
    SnowflakeFixture::SetUp();
    write_config(daily_yaml("DAILY"));
    create_daily("DAILY", "integer", "2024-01-01", "2024-01-31", 40);
  }
  nlohmann::json validate(int expected_exit, const std::string& month = "2024-01") {
    const auto r = run({"--batch", "validate", "--month", month, "--format", "json"});
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err << sf_->stderr_text();
    auto j = json_of(r);
    EXPECT_EQ(j["tables"].size(), 1u) << r.out;
    return j["tables"][0];
  }
  static const nlohmann::json* finding(const nlohmann::json& table, const std::string& check) {
    for (const auto& f : table["findings"])
      if (f["check"] == check) return &f;
    return nullptr;
  }
  void drop_days(int from, int to) { exec(fmt::format("DELETE FROM {} WHERE \"DAY\" BETWEEN {} AND {}", pg_table("DAILY"), from, to)); }
};

TEST_F(ValidateSnowflake, CleanMonthPasses) {
  const auto t = validate(0);
  EXPECT_EQ(t["status"], "PASS");
  EXPECT_EQ(t["target"], schema_ + ".DAILY");
  EXPECT_EQ(t["connection"], "snow");
  EXPECT_EQ(t["rows"], 31 * 40);
  EXPECT_EQ(t["days_expected"], 31);
  EXPECT_EQ(t["days_with_rows"], 31);
  EXPECT_TRUE(t["missing_days"].empty());
  EXPECT_TRUE(t["gaps"].empty());
  EXPECT_TRUE(t["anomalies"].empty());
  EXPECT_EQ(t["duplicates"]["keys"], 0);
  EXPECT_EQ(t["required_nulls"]["AMOUNT"], 0);
  EXPECT_TRUE(t["findings"].empty()) << t.dump(2);
  // The verdict is recorded in the schema, as on PostgreSQL.
  EXPECT_EQ(scalar(fmt::format("SELECT \"PASSED\"::text || ' ' || \"ROWS_CHECKED\" || ' ' || \"DATE_FROM\" FROM "
                               "\"{}\".\"SLUICE_VALIDATION_HISTORY\"",
                               schema_)),
            "true 1240 2024-01-01");
  // Values were bound with their types, never pasted: the YYYYMMDD range as FIXED.
  bool seen = false;
  for (const auto& q : sf_->requests("op", "submit")) {
    if (q.value("statement", "").find("GROUP BY 1") == std::string::npos) continue;
    seen = true;
    EXPECT_NE(q["statement"].get<std::string>().find("\"DAY\" BETWEEN :"), std::string::npos) << q.dump();
    EXPECT_EQ(q["bindings"]["1"]["type"], "FIXED") << q.dump();
    std::set<std::string> values{q["bindings"]["1"]["value"], q["bindings"]["2"]["value"]};
    EXPECT_EQ(values, (std::set<std::string>{"20240101", "20240131"})) << q.dump();
  }
  EXPECT_TRUE(seen);
}

TEST_F(ValidateSnowflake, MissingFirstDayFails) {
  drop_days(20240101, 20240101);
  const auto t = validate(3);
  EXPECT_EQ(t["status"], "FAIL");
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-01"}));
  ASSERT_EQ(t["gaps"].size(), 1u);
  EXPECT_EQ(t["gaps"][0]["from"], "2024-01-01");
  EXPECT_EQ(t["gaps"][0]["days"], 1);
  EXPECT_EQ(t["gaps"][0]["position"], "leading");
  EXPECT_EQ(t["rows"], 30 * 40);
  ASSERT_NE(finding(t, "missing_days"), nullptr) << t.dump(2);
}

TEST_F(ValidateSnowflake, MissingLastDayFails) {
  drop_days(20240131, 20240131);
  const auto t = validate(3);
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-31"}));
  ASSERT_EQ(t["gaps"].size(), 1u);
  EXPECT_EQ(t["gaps"][0]["position"], "trailing");
}

TEST_F(ValidateSnowflake, AnEmptyMonthFails) {
  const auto t = validate(3, "2024-02");
  EXPECT_EQ(t["rows"], 0);
  EXPECT_EQ(t["missing_days"].size(), 29u);
  ASSERT_EQ(t["gaps"].size(), 1u);
  EXPECT_EQ(t["gaps"][0]["position"], "whole");
  EXPECT_EQ(t["gaps"][0]["days"], 29);
  const auto* f = finding(t, "missing_days");
  ASSERT_NE(f, nullptr) << t.dump(2);
  EXPECT_NE((*f)["message"].get<std::string>().find("no rows at all in 2024-02-01..2024-02-29"), std::string::npos) << t.dump(2);
}

TEST_F(ValidateSnowflake, AnInteriorGapFails) {
  drop_days(20240110, 20240112);
  const auto t = validate(3);
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-10", "2024-01-11", "2024-01-12"}));
  ASSERT_EQ(t["gaps"].size(), 1u);
  EXPECT_EQ(t["gaps"][0]["from"], "2024-01-10");
  EXPECT_EQ(t["gaps"][0]["to"], "2024-01-12");
  EXPECT_EQ(t["gaps"][0]["days"], 3);
  EXPECT_EQ(t["gaps"][0]["position"], "interior");
}

TEST_F(ValidateSnowflake, ASeverelyLowDayFails) {
  exec(fmt::format("DELETE FROM {} WHERE \"DAY\" = 20240115 AND \"ASSET\" > 3", pg_table("DAILY")));
  const auto t = validate(3);
  ASSERT_EQ(t["anomalies"].size(), 1u) << t.dump(2);
  EXPECT_EQ(t["anomalies"][0]["date"], "2024-01-15");
  EXPECT_EQ(t["anomalies"][0]["rows"], 3);
  EXPECT_EQ(t["anomalies"][0]["severity"], "severely_low");
  const auto* f = finding(t, "day_anomalies");
  ASSERT_NE(f, nullptr) << t.dump(2);
  EXPECT_EQ((*f)["severity"], "error");
}

TEST_F(ValidateSnowflake, DuplicateKeysFail) {
  // Key (20240105, 7) three times and (20240106, 1) twice: 2 keys, 3 excess rows.
  const std::string t5 = pg_table("DAILY");
  exec(fmt::format("INSERT INTO {t} SELECT * FROM {t} WHERE \"DAY\" = 20240105 AND \"ASSET\" = 7;"
                   "INSERT INTO {t} SELECT * FROM {t} WHERE \"DAY\" = 20240105 AND \"ASSET\" = 7 LIMIT 1;"
                   "INSERT INTO {t} SELECT * FROM {t} WHERE \"DAY\" = 20240106 AND \"ASSET\" = 1",
                   fmt::arg("t", t5)));
  const auto t = validate(3);
  const auto& d = t["duplicates"];
  EXPECT_EQ(d["columns"], nlohmann::json::array({"DAY", "ASSET"}));
  EXPECT_EQ(d["keys"], 2);
  EXPECT_EQ(d["excess_rows"], 3);
  EXPECT_EQ(d["max_rows_per_key"], 3);
  ASSERT_EQ(d["examples"].size(), 2u);
  EXPECT_EQ(d["examples"][0]["key"], (nlohmann::json{{"DAY", "20240105"}, {"ASSET", "7"}}));
  EXPECT_EQ(d["examples"][0]["rows"], 3);
  ASSERT_NE(finding(t, "duplicate_keys"), nullptr) << t.dump(2);
}

TEST_F(ValidateSnowflake, NullsInARequiredColumnFail) {
  exec(fmt::format("UPDATE {} SET \"AMOUNT\" = NULL WHERE \"DAY\" = 20240120 AND \"ASSET\" <= 4", pg_table("DAILY")));
  const auto t = validate(3);
  EXPECT_EQ(t["required_nulls"]["AMOUNT"], 4);
  EXPECT_EQ(t["required_nulls"]["ASSET"], 0);
  const auto* f = finding(t, "required_nulls");
  ASSERT_NE(f, nullptr) << t.dump(2);
  EXPECT_EQ((*f)["count"], 4);
}

}  // namespace
}  // namespace sluice::test
