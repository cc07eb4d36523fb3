// `sluice compare FILE`: the file's rows per day against its table's, every field checked in JSON;
// rows missing from the table, extra rows, a month never loaded; text and CSV.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "core/text_format.h"
#include "tests/support/warehouse_fixture.h"

namespace sluice::test {
namespace {

class Compare : public WarehouseFixture {
 protected:
  void SetUp() override {
    WarehouseFixture::SetUp();
    write_sample_config();
    SampleDataOptions o;
    o.rows = 3100;
    jan_ = generate(o, "factLending_20240101-20240131.tsv");
    const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  std::uint64_t table_day(int yyyymmdd) {
    return static_cast<std::uint64_t>(count("fact_lending", "recorddateid = " + std::to_string(yyyymmdd)));
  }
  std::filesystem::path jan_;
};

TEST_F(Compare, ALoadedFileMatchesItsTableDayByDay) {
  const auto r = run({"--batch", "compare", jan_.string(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["file"], jan_.string());
  EXPECT_EQ(j["table"], "FACT_LENDING");
  EXPECT_EQ(j["target"], schema_ + ".fact_lending");
  EXPECT_EQ(j["table_exists"], true);
  EXPECT_EQ(j["from"], "2024-01-01");
  EXPECT_EQ(j["to"], "2024-01-31");
  EXPECT_EQ(j["file_rows"], 3100);
  EXPECT_EQ(j["file_rows_in_range"], 3100);
  EXPECT_EQ(j["file_rows_outside_range"], 0);
  EXPECT_EQ(j["file_rows_undated"], 0);
  EXPECT_EQ(j["table_rows"], 3100);
  EXPECT_EQ(j["difference"], 0);
  EXPECT_EQ(j["same"], true);
  EXPECT_TRUE(j["differences"].empty());
  ASSERT_EQ(j["days"].size(), 31u);
  for (const auto& d : j["days"]) {
    const std::string day = d["date"];
    const int id = std::stoi(day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2));
    EXPECT_EQ(d["file_rows"], table_day(id)) << day;
    EXPECT_EQ(d["table_rows"], table_day(id)) << day;
    EXPECT_EQ(d["difference"], 0);
  }
}

TEST_F(Compare, MissingAndExtraRowsAreListedByDay) {
  const std::uint64_t day9 = table_day(20240109), day20 = table_day(20240120);
  exec("DELETE FROM " + schema_ + ".fact_lending WHERE ctid IN (SELECT ctid FROM " + schema_ +
       ".fact_lending WHERE recorddateid = 20240109 LIMIT 7)");
  exec("DELETE FROM " + schema_ + ".fact_lending WHERE recorddateid = 20240120");
  exec("INSERT INTO " + schema_ + ".fact_lending SELECT * FROM " + schema_ + ".fact_lending WHERE recorddateid = 20240125 LIMIT 3");
  const auto r = run({"--batch", "compare", jan_.string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["same"], false);
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["file_rows"], 3100);
  EXPECT_EQ(j["table_rows"], 3100 - 7 - day20 + 3);
  EXPECT_EQ(j["difference"], -7 - static_cast<std::int64_t>(day20) + 3);
  const std::uint64_t day25 = table_day(20240125);
  EXPECT_EQ(j["differences"],
            (nlohmann::json::array({{{"date", "2024-01-09"}, {"file_rows", day9}, {"table_rows", day9 - 7}, {"difference", -7}},
                                    {{"date", "2024-01-20"}, {"file_rows", day20}, {"table_rows", 0}, {"difference", -static_cast<std::int64_t>(day20)}},
                                    {{"date", "2024-01-25"}, {"file_rows", day25 - 3}, {"table_rows", day25}, {"difference", 3}}})));

  const auto text = run({"--batch", "compare", jan_.string()});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_NE(text.out.find("3 days differ"), std::string::npos) << text.out;
  const auto at = text.out.find("  2024-01-09 ");
  ASSERT_NE(at, std::string::npos) << text.out;
  std::istringstream line(text.out.substr(at, text.out.find('\n', at) - at));
  std::string day, file_rows, table_rows, difference;
  line >> day >> file_rows >> table_rows >> difference;
  EXPECT_EQ(file_rows, grouped(day9));
  EXPECT_EQ(table_rows, grouped(day9 - 7));
  EXPECT_EQ(difference, "-7");

  const auto csv = run({"--batch", "compare", jan_.string(), "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 3);
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')), "date,file_rows,table_rows,difference");
  EXPECT_NE(csv.out.find("\n2024-01-20," + std::to_string(day20) + ",0,-" + std::to_string(day20) + "\n"), std::string::npos) << csv.out;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 32);
}

TEST_F(Compare, AMonthNeverLoadedDiffersOnEveryDay) {
  SampleDataOptions o;
  o.month = 2;
  o.rows = 290;
  const auto feb = generate(o, "factLending_20240201-20240229.tsv");
  const auto r = run({"--batch", "compare", feb.string(), "--format", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["from"], "2024-02-01");
  EXPECT_EQ(j["table_rows"], 0);
  EXPECT_EQ(j["file_rows_in_range"], 290);
  EXPECT_EQ(j["differences"].size(), 29u);
  EXPECT_EQ(j["differences"][0]["table_rows"], 0);
}

TEST_F(Compare, AFileUnderAnotherNameWithTable) {
  const auto copy = dir_ / "extract.tsv";
  std::filesystem::copy_file(jan_, copy);
  EXPECT_EQ(run({"--batch", "compare", copy.string()}).exit_code, 2);  // no pattern matches the name
  const auto r = run({"--batch", "compare", copy.string(), "--table", "FACT_LENDING", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = json_of(r);
  // No range in the name: the file's own first and last day.
  EXPECT_EQ(j["from"], "2024-01-01");
  EXPECT_EQ(j["to"], "2024-01-31");
  EXPECT_EQ(j["same"], true);
}

}  // namespace
}  // namespace sluice::test
