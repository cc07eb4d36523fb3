// The two emulators a Snowflake test suite talks to, started together and stopped (their storage
// removed) when destroyed: S3 with the bucket "stage" and one access key, and the SQL API emulator
// executing on the test PostgreSQL and reading that bucket's storage, with the user LOADER (a
// fresh key pair) and the stage SLUICE_STAGE = s3://stage/sluice/. Suites start one in
// SetUpTestSuite, so the emulators live as long as the suite, also when a test fails.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/emulator_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"

namespace sluice::test {

struct SnowflakeEmulatorOptions {
  std::string access_key, secret_key;
  std::string region = "eu-west-1";
  nlohmann::json sql_api_extra = nlohmann::json::object();  // more SQL API emulator config
};

class SnowflakeEmulators {
 public:
  explicit SnowflakeEmulators(const SnowflakeEmulatorOptions& options);

  TestKeyPair& key() { return key_; }
  EmulatorProcess& s3() { return *s3_; }
  EmulatorProcess& sql_api() { return *sql_api_; }

 private:
  TempDir keys_dir_{"sluice-keys"};
  TestKeyPair key_;
  std::unique_ptr<EmulatorProcess> s3_, sql_api_;
};

}  // namespace sluice::test
