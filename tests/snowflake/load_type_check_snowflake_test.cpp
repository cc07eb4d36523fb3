// As on PostgreSQL (tests/integration/load_type_check_test.cpp): a Snowflake load compares the
// config's column types with INFORMATION_SCHEMA.COLUMNS before anything is staged. A config type
// wider than the table's is a usage error naming table.column with both types; the table is not
// touched and nothing is left on the stage. A table sluice created itself (--create) passes.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/support/codes_table.h"
#include "tests/support/snowflake_fixture.h"

namespace sluice::test {
namespace {

class LoadTypeCheckSnowflake : public SnowflakeFixture {
 protected:
  void config(const std::string& code_type) { write_config(codes_table_yaml(code_type, "numeric(12,2)")); }
  // Every day of `month`, a code of 9 characters on the 20th.
  std::filesystem::path month_file(const std::string& month) {
    return dir_.write(fmt::format("codes_{}.tsv", month), codes_month_rows(month, 20));
  }
  RunResult load(const std::filesystem::path& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--batch", "load", "--files", file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
};

TEST_F(LoadTypeCheckSnowflake, ConfigTypeWiderThanTheTablesIsAUsageErrorAndNothingIsStaged) {
  // The table as someone created it in Snowflake: VARCHAR(7), NUMBER(10,2).
  exec(fmt::format("CREATE TABLE {} (\"DAY\" date, \"CODE\" varchar(7), \"AMOUNT\" numeric(10,2))", pg_table("CODES")));
  exec(fmt::format("INSERT INTO {} VALUES ('2023-12-31', 'OLD', 1.00)", pg_table("CODES")));
  const std::string before = digest("CODES");
  config("text");

  const auto r = load(month_file("2024-02"));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err << sf_->stderr_text();
  const std::string out = r.out + r.err;
  EXPECT_NE(out.find("does not match the config"), std::string::npos) << out;
  EXPECT_NE(out.find("CODES.CODE: config text, table VARCHAR(7): the table's type is narrower"), std::string::npos)
      << out;
  EXPECT_NE(out.find("CODES.AMOUNT: config numeric(12,2), table NUMBER(10,2)"), std::string::npos) << out;
  EXPECT_EQ(out.find("CODES.DAY"), std::string::npos) << out;
  EXPECT_NE(out.find(fmt::format("ALTER TABLE \"{}\".\"CODES\" ALTER COLUMN \"CODE\" SET DATA TYPE VARCHAR;", schema_)),
            std::string::npos) << out;
  EXPECT_EQ(digest("CODES"), before);
  EXPECT_TRUE(submitted("COPY INTO").empty());
  EXPECT_TRUE(s3_->requests("op", "PutObject").empty());
}

TEST_F(LoadTypeCheckSnowflake, ATableCreatedFromTheConfigLoadsTheNextMonth) {
  config("varchar(9)");
  ASSERT_EQ(load(month_file("2024-02"), {"--create"}).exit_code, 0);
  const auto r = load(month_file("2024-03"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  EXPECT_EQ(count("CODES"), 29 + 31);
}

}  // namespace
}  // namespace sluice::test
