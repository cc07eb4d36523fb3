// The statements of a Snowflake load's publish transaction (no server needed to build them).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "loaders/snowflake/snowflake_target.h"
#include "operations/sample_data.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(SnowflakePublishSql, OneTransactionAtMost1000FilesPerCopyAndTheReplacedRange) {
  test::TempDir dir;
  const auto token = dir.write("token", "t");
  snowflake::SqlApiSettings s;
  s.base_url = "http://127.0.0.1:9";  // never contacted
  snowflake::SqlApiClient sql(s, std::make_shared<snowflake::StaticTokenSource>("OAUTH", "", token.string()));
  SnowflakeTarget target(sql, "analytics", "sluice_stage");

  const TableSpec table = sample_table_spec("fact_lending", "f_{date_range}.tsv", false);
  SnowflakeFileLoad load;
  load.table = &table;
  load.stage_dir = "17/FACT_LENDING/";
  for (int i = 0; i < 1500; ++i) load.parts.push_back({fmt::format("f_{:05d}.tsv.zst", i), "", 10, 1, 0, 1, ""});
  load.replace = DateRange::month(2024, 1);
  load.history.file_name = "f_20240101-20240131.tsv";
  load.history.rows_loaded = 15000;
  load.history.range = load.replace;
  const std::string sql_text = target.publish_sql({load}, 17);

  EXPECT_TRUE(sql_text.starts_with("BEGIN;\n")) << sql_text.substr(0, 200);
  EXPECT_TRUE(sql_text.ends_with("COMMIT;\n"));
  EXPECT_EQ(occurrences(sql_text, "COPY INTO \"ANALYTICS\".\"FACT_LENDING\""), 2u);
  EXPECT_EQ(occurrences(sql_text, ".tsv.zst'"), 1500u);
  const std::size_t first_copy = sql_text.find("COPY INTO");
  const std::size_t second_copy = sql_text.find("COPY INTO", first_copy + 1);
  EXPECT_EQ(occurrences(sql_text.substr(first_copy, second_copy - first_copy), ".tsv.zst'"), 1000u);
  EXPECT_NE(sql_text.find("FROM @\"SLUICE_STAGE\"/17/FACT_LENDING/ FILES = ('f_00000.tsv.zst', "),
            std::string::npos);
  EXPECT_NE(sql_text.find("ON_ERROR = ABORT_STATEMENT PURGE = TRUE"), std::string::npos);
  // --replace: the history of the month is superseded and the month deleted before the COPY
  const std::size_t del = sql_text.find("DELETE FROM \"ANALYTICS\".\"FACT_LENDING\" WHERE \"RECORDDATEID\" "
                                        "BETWEEN 20240101 AND 20240131");
  ASSERT_NE(del, std::string::npos) << sql_text.substr(0, 2000);
  EXPECT_LT(del, first_copy);
  // the new history row first, then the rows it replaces point at it (REPLACED_BY = its ID)
  const std::size_t history_row = sql_text.find("INSERT INTO \"ANALYTICS\".\"SLUICE_LOAD_HISTORY\"");
  const std::size_t superseded = sql_text.find("UPDATE \"ANALYTICS\".\"SLUICE_LOAD_HISTORY\" SET \"REPLACED_BY\" = ");
  EXPECT_LT(history_row, superseded);
  EXPECT_LT(superseded, del);
  EXPECT_NE(sql_text.find("(SELECT COUNT(*) FROM \"ANALYTICS\".\"FACT_LENDING\" WHERE \"RECORDDATEID\" BETWEEN "
                          "20240101 AND 20240131)"),
            std::string::npos);
}

TEST(SnowflakePublishSql, QcWarehousePublishesFromTheStagingTableInsteadOfTheStage) {
  test::TempDir dir;
  const auto token = dir.write("token", "t");
  snowflake::SqlApiSettings s;
  s.base_url = "http://127.0.0.1:9";  // never contacted
  snowflake::SqlApiClient sql(s, std::make_shared<snowflake::StaticTokenSource>("OAUTH", "", token.string()));
  SnowflakeTarget target(sql, "analytics", "sluice_stage");
  const TableSpec table = sample_table_spec("fact_lending", "f_{date_range}.tsv", false);
  SnowflakeFileLoad load;
  load.table = &table;
  load.stage_dir = "17/FACT_LENDING/";
  load.parts.push_back({"f_00000.tsv.zst", "", 10, 1, 0, 1, ""});
  load.staging_table = "FACT_LENDING__SLUICE_STAGE_17_1";
  load.history.rows_loaded = 10;
  const std::string sql_text = target.publish_sql({load}, 17);
  EXPECT_EQ(sql_text.find("COPY INTO"), std::string::npos) << sql_text;
  EXPECT_NE(sql_text.find("INSERT INTO \"ANALYTICS\".\"FACT_LENDING\" (\"RECORDDATE\", \"RECORDDATEID\", "), std::string::npos) << sql_text;
  EXPECT_NE(sql_text.find("FROM \"ANALYTICS\".\"FACT_LENDING__SLUICE_STAGE_17_1\";\nCOMMIT;\n"), std::string::npos) << sql_text;
}

}  // namespace
}  // namespace sluice
