// The menu tests share one private PostgreSQL server, like the integration tests.
#include <gtest/gtest.h>

#include "tests/support/test_postgres.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new sluice::test::TestPostgres);  // gtest owns it
  return RUN_ALL_TESTS();
}
