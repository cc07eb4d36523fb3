// `sluice compare FILE` on Snowflake: a file loaded as is compares equal day by day; rows removed
// from the table behind sluice's back show up as differences on their days, with exit code 3.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/support/snowflake_fixture.h"

namespace sluice::test {
namespace {

class CompareSnowflake : public SnowflakeFixture {};

TEST_F(CompareSnowflake, SameThenDifferentDays) {
  write_config(sample_yaml());
  SampleDataOptions o;
  o.rows = 3100;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);

  const auto r = run({"--batch", "compare", file.string(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  const auto j = json_of(r);
  EXPECT_EQ(j["table"], "FACT_LENDING");
  EXPECT_EQ(j["target"], schema_ + ".FACT_LENDING");
  EXPECT_EQ(j["connection"], "snow");
  EXPECT_EQ(j["table_exists"], true);
  EXPECT_EQ(j["from"], "2024-01-01");
  EXPECT_EQ(j["to"], "2024-01-31");
  EXPECT_EQ(j["file_rows"], 3100);
  EXPECT_EQ(j["file_rows_in_range"], 3100);
  EXPECT_EQ(j["table_rows"], 3100);
  EXPECT_EQ(j["difference"], 0);
  EXPECT_EQ(j["same"], true);
  EXPECT_TRUE(j["differences"].empty());

  const std::string day20 =
      scalar(fmt::format("SELECT count(*) FROM {} WHERE \"RECORDDATEID\" = 20240120", pg_table("FACT_LENDING")));
  exec(fmt::format("DELETE FROM {} WHERE \"RECORDDATEID\" = 20240120", pg_table("FACT_LENDING")));
  const auto d = run({"--batch", "compare", file.string(), "--format", "json"});
  EXPECT_EQ(d.exit_code, 3) << d.out << d.err;
  const auto k = json_of(d);
  EXPECT_EQ(k["same"], false);
  EXPECT_EQ(k["table_rows"], 3100 - std::stoi(day20));
  ASSERT_EQ(k["differences"].size(), 1u) << k.dump(2);
  EXPECT_EQ(k["differences"][0]["date"], "2024-01-20");
  EXPECT_EQ(k["differences"][0]["table_rows"], 0);
  EXPECT_EQ(k["differences"][0]["file_rows"], std::stoi(day20));
}

}  // namespace
}  // namespace sluice::test
