// `sluice validate` finds every missing day: the first, the last, an interior gap, a wholly empty
// month (the original tool passed the first, second and fourth), and passes a complete month.
#include <gtest/gtest.h>

#include "tests/support/warehouse_fixture.h"

namespace sluice::test {
namespace {

class ValidateMissingDays : public WarehouseFixture {
 protected:
  // DAILY over January 2024, 40 rows a day.
  void SetUp() override {
    WarehouseFixture::SetUp();
    write_config(daily_yaml("DAILY", "integer"));
    create_daily("daily", "integer", "2024-01-01", "2024-01-31", 40);
  }
  void drop_days(const std::string& from, const std::string& to) {
    exec("DELETE FROM " + schema_ + ".daily WHERE day BETWEEN " + day_value("integer", from) + " AND " +
         day_value("integer", to));
  }
  nlohmann::json validate(const std::string& month, int expected_exit) {
    const auto r = run({"--batch", "validate", "--month", month, "--format", "json"});
    EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
    auto j = json_of(r);
    EXPECT_EQ(j["tables"].size(), 1u) << r.out;
    return j["tables"][0];
  }
};

TEST_F(ValidateMissingDays, CompleteMonthPasses) {
  const auto t = validate("2024-01", 0);
  EXPECT_EQ(t["status"], "PASS");
  EXPECT_EQ(t["rows"], 31 * 40);
  EXPECT_EQ(t["days_expected"], 31);
  EXPECT_EQ(t["days_with_rows"], 31);
  EXPECT_TRUE(t["missing_days"].empty());
  EXPECT_TRUE(t["gaps"].empty());
  EXPECT_TRUE(t["anomalies"].empty());
  EXPECT_EQ(t["duplicates"]["keys"], 0);
  EXPECT_EQ(t["required_nulls"]["amount"], 0);
  EXPECT_TRUE(t["findings"].empty()) << t.dump(2);
  EXPECT_EQ(t["target"], schema_ + ".daily");
}

TEST_F(ValidateMissingDays, MissingFirstDayFails) {
  drop_days("2024-01-01", "2024-01-01");
  const auto t = validate("2024-01", 3);
  EXPECT_EQ(t["status"], "FAIL");
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-01"}));
  ASSERT_EQ(t["gaps"].size(), 1u);
  EXPECT_EQ(t["gaps"][0]["from"], "2024-01-01");
  EXPECT_EQ(t["gaps"][0]["days"], 1);
  EXPECT_EQ(t["gaps"][0]["position"], "leading");
  EXPECT_EQ(t["rows"], 30 * 40);
  EXPECT_EQ(t["found_from"], "2024-01-02");
  EXPECT_EQ(t["findings"][0]["check"], "missing_days");
}

TEST_F(ValidateMissingDays, MissingLastDayFails) {
  drop_days("2024-01-31", "2024-01-31");
  const auto t = validate("2024-01", 3);
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-31"}));
  EXPECT_EQ(t["gaps"][0]["position"], "trailing");
  EXPECT_EQ(t["found_to"], "2024-01-30");
}

TEST_F(ValidateMissingDays, InteriorGapIsOneRunOfDays) {
  drop_days("2024-01-10", "2024-01-12");
  const auto t = validate("2024-01", 3);
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-10", "2024-01-11", "2024-01-12"}));
  ASSERT_EQ(t["gaps"].size(), 1u);
  EXPECT_EQ(t["gaps"][0], (nlohmann::json{{"from", "2024-01-10"}, {"to", "2024-01-12"}, {"days", 3}, {"position", "interior"}}));
  EXPECT_EQ(t["days_with_rows"], 28);
}

TEST_F(ValidateMissingDays, AWhollyEmptyMonthFails) {
  const auto t = validate("2024-02", 3);
  EXPECT_EQ(t["status"], "FAIL");
  EXPECT_EQ(t["rows"], 0);
  EXPECT_EQ(t["missing_days"].size(), 29u);
  ASSERT_EQ(t["gaps"].size(), 1u);
  EXPECT_EQ(t["gaps"][0]["position"], "whole");
  EXPECT_EQ(t["gaps"][0]["days"], 29);
  EXPECT_NE(t["reasons"][0].get<std::string>().find("no rows at all in 2024-02-01..2024-02-29"), std::string::npos) << t.dump(2);
}

TEST_F(ValidateMissingDays, AllDataChecksFromTheFirstToTheLastDayFound) {
  drop_days("2024-01-20", "2024-01-20");
  const auto r = run({"--batch", "validate", "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["scope"]["label"], "all data");
  EXPECT_TRUE(j["scope"]["from"].is_null());
  const auto& t = j["tables"][0];
  EXPECT_EQ(t["checked_from"], "2024-01-01");
  EXPECT_EQ(t["checked_to"], "2024-01-31");
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-20"}));
}

TEST_F(ValidateMissingDays, ARangeIsCheckedDayByDay) {
  drop_days("2024-01-05", "2024-01-05");
  const auto r = run({"--batch", "validate", "--from", "2024-01-03", "--to", "2024-01-06", "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto t = json_of(r)["tables"][0];
  EXPECT_EQ(t["days_expected"], 4);
  EXPECT_EQ(t["rows"], 3 * 40);
  EXPECT_EQ(t["missing_days"], nlohmann::json::array({"2024-01-05"}));
  EXPECT_EQ(t["rows_per_day"], (nlohmann::json{{"2024-01-03", 40}, {"2024-01-04", 40}, {"2024-01-06", 40}}));
}

TEST_F(ValidateMissingDays, TextSaysWhichDaysAndWhy) {
  drop_days("2024-01-01", "2024-01-01");
  drop_days("2024-01-31", "2024-01-31");
  const auto r = run({"--batch", "validate", "--month", "2024-01"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("ERROR missing_days: 2 days of 2024-01-01..2024-01-31 have no rows (by daily.day), in 2 gaps"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2024-01-01 (leading)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2024-01-31 (trailing)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sluice::test
