// The PostgreSQL server integration tests run against: a private embedded cluster in a temp dir,
// started once per test binary by the TestPostgres environment (tests/integration/
// integration_main.cpp) and stopped with its directory removed at the end, also when tests fail,
// the binary exits early or gets SIGINT/SIGTERM.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "app/embedded_postgres.h"
#include "warehouse/postgres/connection.h"

namespace sluice::test {

// An EmbeddedPostgres in a fresh /tmp/<prefix>-XXXXXX (mode 0755 so the server account can enter
// it; the cluster is <dir>/pg). Not started. Destruction stops the server and removes the dir; so
// does exit() while it exists, and a helper process when the test binary dies of a signal (any,
// including SIGKILL).
class TempCluster {
 public:
  explicit TempCluster(const std::string& prefix = "sluice-pg");
  ~TempCluster();
  TempCluster(const TempCluster&) = delete;
  TempCluster& operator=(const TempCluster&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  EmbeddedPostgres& server() { return *server_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<EmbeddedPostgres> server_;
};

class TestPostgres : public ::testing::Environment {
 public:
  void SetUp() override;     // a failure to start is a fatal failure: no test runs
  void TearDown() override;

  static const std::string& conninfo();
  static std::filesystem::path cluster_dir();
};

// A new connection to the test server (database sluice, user sluice).
pg::Connection test_connection();

// "<prefix>_<pid>_<n>": unique within the test run, lower case, a valid unquoted identifier.
std::string unique_schema_or_table_name(const std::string& prefix);

}  // namespace sluice::test
