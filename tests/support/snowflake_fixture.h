// The setting of the Snowflake warehouse-operation tests (validate, report, compare, delete,
// restore, load --qc warehouse): the real sluice binary against the SQL API and S3 emulators, the
// SQL API emulator executing on the test PostgreSQL in a schema of the test's own. Tables are
// filled straight with SQL on that PostgreSQL (upper-case quoted names, as Snowflake stores
// unquoted ones), so a defect can be planted exactly. The emulators start once per test suite and
// stop with it (also when a test fails); the schema is dropped after each test.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "operations/sample_data.h"
#include "tests/support/emulator_process.h"
#include "tests/support/run_sluice.h"
#include "tests/support/snowflake_emulators.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"

namespace sluice::test {

class SnowflakeFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // Writes the config: connection `snow` (this test's schema, the emulators) and `tables_yaml`.
  void write_config(const std::string& tables_yaml);
  // Config YAML for table `name` with columns DAY (integer YYYYMMDD or date; required), ASSET
  // (bigint, required), AMOUNT (numeric(12,2), required), NOTE (text); date_column DAY;
  // duplicate_key [DAY, ASSET].
  static std::string daily_yaml(const std::string& name, const std::string& day_type = "integer");
  // Creates "<schema>"."<NAME>" with `rows_per_day` rows for each day from..to (YYYY-MM-DD):
  // ASSET 1..n, AMOUNT = ASSET * 1.5, NOTE 'row <ASSET>'. Columns nullable, for planting NULLs.
  void create_daily(const std::string& name, const std::string& day_type, const std::string& from,
                    const std::string& to, int rows_per_day);

  // Config YAML for the generated sample file's table (operations/sample_data.h), named `name`.
  static std::string sample_yaml(const std::string& name = "FACT_LENDING",
                                 const std::string& pattern = "factLending_{date_range}.tsv");
  // Writes a sample file into the test's directory; returns its path.
  std::filesystem::path generate(SampleDataOptions options, const std::string& name);

  RunResult run(std::vector<std::string> args);
  RunResult run_typed(std::vector<std::string> args, const std::string& input);  // on a terminal
  void exec(const std::string& sql);              // on the PostgreSQL behind the emulator
  std::string scalar(const std::string& sql);
  std::int64_t count(const std::string& table);   // "<schema>"."<table>"
  std::string digest(const std::string& table);   // md5 of the sorted rows
  bool table_exists(const std::string& table);
  // Quoted "<schema>"."<table>" for SQL on PostgreSQL.
  std::string pg_table(const std::string& table) const;
  // The statements sluice submitted whose text contains `needle`.
  std::vector<std::string> submitted(const std::string& needle) const;
  static nlohmann::json json_of(const RunResult& r);

  RunResult run_with(std::vector<std::string> args, RunOptions options);

  static inline SnowflakeEmulators* emulators_ = nullptr;
  static inline TestKeyPair* key_ = nullptr;
  static inline EmulatorProcess* s3_ = nullptr;
  static inline EmulatorProcess* sf_ = nullptr;
  TempDir dir_{"sluice-sfwh"};
  std::string schema_;  // upper case, as Snowflake names it
  std::filesystem::path config_;
};

}  // namespace sluice::test
