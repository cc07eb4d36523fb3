// The setting most load tests share: a temp dir for files, state and config; a schema of its own
// on the test server (so tests never see each other's tables); and a config whose target is that
// server. Tests drive the real binary through run() and inspect the server with SQL.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/config_model.h"
#include "operations/sample_data.h"
#include "tests/support/run_sluice.h"
#include "tests/support/temp_dir.h"
#include "warehouse/postgres/connection.h"

namespace sluice::test {

class LoadFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes the config: target = the test server in schema_, tables as given (YAML).
  std::filesystem::path write_config(const std::string& tables_yaml);
  // A config with the sample fact table under `table` and `pattern`.
  std::filesystem::path write_sample_config(const std::string& table = "FACT_LENDING",
                                            const std::string& pattern = "factLending_{date_range}.tsv");
  // Generates a sample month file in dir_ (name from the pattern unless given).
  std::filesystem::path generate(SampleDataOptions options, const std::string& name);

  RunResult run(std::vector<std::string> args);
  // The same on a terminal, typing `input` (for prompts); everything printed is in `out`.
  RunResult run_typed(std::vector<std::string> args, const std::string& input, const std::string& type_after = {});

  // Helpers on the test server.
  std::int64_t count(const std::string& table, const std::string& where = "");
  bool table_exists(const std::string& table);
  // md5 over the table's rows in a stable order: equal tables, equal digests.
  std::string digest(const std::string& table);
  // Loads `file` into `table` (same columns as `like`) with psql's \copy, the reference path.
  void psql_copy(const std::string& file, const std::string& table, const std::string& like);
  std::string scalar(const std::string& sql);

  TempDir dir_{"sluice-load"};
  std::string schema_;
  std::filesystem::path config_;
};

}  // namespace sluice::test
