// Snowflake target tests: the S3 stage client and the SQL API client against the emulators in
// tests/emulators, which each test suite starts (tests/support/emulator_process.h). The SQL API
// emulator executes on the private PostgreSQL server this binary starts once
// (tests/support/test_postgres.h).
#include <gtest/gtest.h>

#include "tests/support/test_postgres.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::test::TestPostgres);  // gtest owns it
  return RUN_ALL_TESTS();
}
