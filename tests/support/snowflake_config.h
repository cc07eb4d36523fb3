// The config every Snowflake test writes: one `snow` connection to the SQL API emulator with a
// key pair, its stage on the S3 emulator, then the test's tables. One spelling, so a new
// connection key reaches every test.
#pragma once

#include <string>

#include "core/config_model.h"

namespace sluice::test {

struct SnowflakeTestTarget {
  std::string private_key_file;
  std::string schema;        // upper case, as Snowflake names it
  std::string sql_api_url;   // the SQL API emulator
  std::string s3_url;        // the stage's endpoint (the S3 emulator)
  std::string ca_file;       // "": no ca_file key
};

// The whole config: target, connection, then `tables_yaml` (entries of `tables:`).
std::string snowflake_config_yaml(const SnowflakeTestTarget& target, const std::string& tables_yaml);

// A `tables:` entry for a sample table spec (TSV, its date column), with its duplicate key if asked.
std::string table_entry_yaml(const TableSpec& spec, bool with_duplicate_key);

}  // namespace sluice::test
