// Integration tests share one private PostgreSQL server, started before the first test and stopped
// after the last (tests/support/test_postgres.h).
#include <gtest/gtest.h>

#include "tests/support/test_postgres.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::test::TestPostgres);  // gtest owns it
  return RUN_ALL_TESTS();
}
