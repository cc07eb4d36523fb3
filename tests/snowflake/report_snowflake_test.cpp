// `sluice report` on Snowflake: a table loaded by sluice (its last load from SLUICE_LOAD_HISTORY), a
// table filled by hand and validated (the verdict from SLUICE_VALIDATION_HISTORY), and a missing
// table, field by field in the JSON output.
#include <gtest/gtest.h>

#include "tests/support/report_expectations.h"
#include "tests/support/snowflake_fixture.h"

namespace sluice::test {
namespace {

class ReportSnowflake : public SnowflakeFixture {};

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

  const auto& fact = report_table(j, "FACT_LENDING");
  expect_loaded_sample_month(fact, schema_ + ".FACT_LENDING", "RECORDDATEID");
  EXPECT_EQ(fact["connection"], "snow");
  expect_validated_daily(report_table(j, "DAILY"));
  expect_missing(report_table(j, "NOT_THERE"));
}

}  // namespace
}  // namespace sluice::test
