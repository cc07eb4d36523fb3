// The two emulators a Snowflake test suite talks to, started together and stopped (their storage
// removed) when destroyed: S3 with the bucket "stage" and one access key, and the SQL API emulator
// executing on the test PostgreSQL and reading that bucket's storage, with the user LOADER (a
// fresh key pair) and the stage SLUICE_STAGE = s3://stage/sluice/. Suites start one in
// SetUpTestSuite, so the emulators live as long as the suite, also when a test fails.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/emulator_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "warehouse/s3/s3_client.h"
#include "warehouse/snowflake/sql_api_client.h"

namespace sluice::test {

struct SnowflakeEmulatorOptions {
  std::string access_key, secret_key;
  std::string region = "eu-west-1";
  nlohmann::json sql_api_extra = nlohmann::json::object();  // more SQL API emulator config
  std::filesystem::path tls_dir{};  // both serve HTTPS only with this material (make_tls_material)
};

class SnowflakeEmulators {
 public:
  explicit SnowflakeEmulators(const SnowflakeEmulatorOptions& options);

  TestKeyPair& key() { return key_; }
  EmulatorProcess& s3() { return *s3_; }
  EmulatorProcess& sql_api() { return *sql_api_; }

  // Clients' settings that reach them: the bucket "stage" path-style with the access key, and the
  // SQL API with database SLUICE and warehouse LOAD_WH. Tests tune retries and timeouts on top.
  s3::S3Settings s3_settings() const;
  snowflake::SqlApiSettings sql_api_settings() const;

 private:
  SnowflakeEmulatorOptions options_;
  TempDir keys_dir_{"sluice-keys"};
  TestKeyPair key_;
  std::unique_ptr<EmulatorProcess> s3_, sql_api_;
};

// A new schema on the test PostgreSQL for one test, named in upper case as Snowflake names an
// unquoted one; returns its name. The test drops it.
std::string create_snowflake_test_schema(const std::string& prefix);

}  // namespace sluice::test
