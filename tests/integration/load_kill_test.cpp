// A load killed with SIGKILL in the middle of its COPY leaves the table exactly as it was, and
// the same load can simply be run again.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/commands/commands.h"
#include "tests/support/load_fixture.h"
#include "tests/support/test_postgres.h"

namespace sluice::test {
namespace {

class LoadKill : public LoadFixture {
 protected:
  // Loads a small January, writes a 150 MB February and starts loading it in the background.
  pid_t start_big_load() {
    write_sample_config();
    SampleDataOptions jan;
    jan.rows = 5000;
    generate(jan, "factLending_20240101-20240131.tsv");
    EXPECT_EQ(run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"}).exit_code, 0);
    before_ = digest("fact_lending");
    SampleDataOptions feb;
    feb.month = 2;
    feb.target_bytes = 150'000'000;
    generate(feb, "factLending_20240201-20240229.tsv");
    return spawn_february_load();
  }
  // `sluice load --month 2024-02` in the background, its output in dir_/stdout.txt.
  pid_t spawn_february_load(std::vector<std::string> extra = {}) {
    RunOptions env;
    env.env = {{"XDG_STATE_HOME", (dir_ / "state").string()}, {"XDG_DATA_HOME", (dir_ / "data").string()}};
    std::vector<std::string> args{"--config", config_.string(), "--batch", "load", "--month", "2024-02", "--base-path",
                                  dir_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return spawn_sluice(args, env, dir_.path());
  }
  // Once the load's COPY has begun, the server is stopped and started again; the load must then
  // end with exit code 1. Returns what it printed on stdout.
  std::string restart_server_mid_copy(pid_t pid) {
    const bool copying = wait_for_copy();
    EmbeddedPostgres server(TestPostgres::cluster_dir());
    server.stop();
    server.start();
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(copying) << "the load never reached its COPY";
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1);
    std::ifstream out(dir_ / "stdout.txt");
    return std::string((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  }
  // True once the server has taken some of the COPY's rows.
  bool wait_for_copy() {
    auto conn = test_connection();
    for (int i = 0; i < 600; ++i) {
      auto r = conn.query("SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy");
      if (r.get_int(0, 0) > 1000) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void expect_unchanged_and_retry_works() {
    EXPECT_EQ(digest("fact_lending"), before_);
    EXPECT_EQ(count("fact_lending", "\"recorddate\" >= '2024-02-01'"), 0);
    EXPECT_EQ(scalar("SELECT count(*) FROM " + schema_ + ".sluice_load_history"), "1");
    const auto again = run({"--batch", "load", "--month", "2024-02", "--base-path", dir_.path().string()});
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  }
  std::string before_;
};

TEST_F(LoadKill, SigkillMidCopyLeavesTheTableUnchanged) {
  const pid_t pid = start_big_load();
  const bool copying = wait_for_copy();
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(copying) << "the load never reached its COPY";
  ASSERT_TRUE(WIFSIGNALED(status));

  // The server notices the dead client and rolls back; wait for the backend to go.
  auto conn = test_connection();
  for (int i = 0; i < 200; ++i) {
    auto r = conn.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluice load'");
    if (r.get_int(0, 0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  expect_unchanged_and_retry_works();
}


TEST_F(LoadKill, ServerRestartMidCopyFailsCleanlyAndChangesNothing) {
  const std::string text = restart_server_mid_copy(start_big_load());
  EXPECT_NE(text.find("Nothing was loaded"), std::string::npos) << text;
  EXPECT_NE(text.find("closed the connection"), std::string::npos) << text;
  expect_unchanged_and_retry_works();
}

TEST_F(LoadKill, ServerStoppedWhileCreatingAndCopyingSaysSoAndClaimsNothing) {
  // A new table (--create): after the rollback it does not exist, and the report must say what
  // is true, not blame a value in the file.
  write_sample_config();
  SampleDataOptions feb;
  feb.month = 2;
  feb.target_bytes = 150'000'000;
  generate(feb, "factLending_20240201-20240229.tsv");
  const std::string text = restart_server_mid_copy(spawn_february_load({"--create", "--json"}));
  const auto j = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text;
  EXPECT_EQ(j["committed"], false);
  const auto& f = j["files"][0];
  EXPECT_EQ(f["table_created"], false) << text;  // the CREATE was rolled back with the rest
  const std::string message = f["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("closed the connection"), std::string::npos) << text;
  EXPECT_EQ(text.find("rejected a value"), std::string::npos) << text;
  EXPECT_EQ(text.find("Fix the value"), std::string::npos) << text;
  EXPECT_FALSE(table_exists("fact_lending"));
}

TEST_F(LoadKill, APrivilegeTheServerRefusesIsReportedAsSuch) {
  // A role that may read the table but not write it: the COPY fails with SQLSTATE 42501, which is
  // about the role, not about any value in the file.
  write_sample_config();
  SampleDataOptions jan;
  jan.rows = 300;
  const auto file = generate(jan, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  const std::string role = unique_schema_or_table_name("reader");
  auto conn = test_connection();
  conn.exec("CREATE ROLE " + role + " LOGIN");
  conn.exec("GRANT USAGE ON SCHEMA " + schema_ + " TO " + role);
  conn.exec("GRANT SELECT ON ALL TABLES IN SCHEMA " + schema_ + " TO " + role);
  std::string conninfo = TestPostgres::conninfo();
  conninfo.replace(conninfo.find("user=sluice"), 11, "user=" + role);
  std::string yaml = embedded_config_yaml(sample_table_spec("FACT_LENDING", "factLending_{date_range}.tsv", false));
  std::ofstream(config_) << "target: test\nconnections:\n  test: { type: postgres, dsn: \"" << conninfo
                         << "\", schema: " << schema_ << " }\n"
                         << yaml.substr(yaml.find("tables:\n"));
  SampleDataOptions feb = jan;
  feb.month = 2;
  generate(feb, "factLending_20240201-20240229.tsv");
  const auto r = run({"--batch", "load", "--month", "2024-02", "--base-path", dir_.path().string()});
  conn.exec("DROP OWNED BY " + role);
  conn.exec("DROP ROLE " + role);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string said = r.out + r.err;
  EXPECT_NE(said.find("the PostgreSQL server refused: permission denied"), std::string::npos) << said;
  EXPECT_NE(said.find("GRANT"), std::string::npos) << said;
  EXPECT_EQ(said.find("rejected a value"), std::string::npos) << said;
  EXPECT_EQ(count("fact_lending"), 300);
}

}  // namespace
}  // namespace sluice::test

namespace sluice::test {
namespace {

TEST_F(LoadKill, SigtermCancelsCleanlyWithAMessageAndTheJobMarkedCancelled) {
  const pid_t pid = start_big_load();
  const bool copying = wait_for_copy();
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(copying) << "the load never reached its COPY";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::ifstream err(dir_ / "stderr.txt");
  const std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("error: cancelled"), std::string::npos) << text;
  const auto jobs = run({"jobs", "--limit", "1"});
  EXPECT_NE(jobs.out.find("cancelled"), std::string::npos) << jobs.out;
  expect_unchanged_and_retry_works();
}

}  // namespace
}  // namespace sluice::test
