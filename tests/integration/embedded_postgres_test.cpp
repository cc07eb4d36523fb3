// EmbeddedPostgres lifecycle on a second private cluster, its settings, and `sluice db`.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/commands/db_commands.h"
#include "app/embedded_postgres.h"
#include "tests/support/run_sluice.h"
#include "tests/support/test_postgres.h"
#include "warehouse/postgres/connection.h"

namespace sluice::test {
namespace {

TEST(EmbeddedPostgresTest, StartStopRestartKeepsData) {
  TempCluster cluster("sluice-emb");
  EmbeddedPostgres& server = cluster.server();
  EXPECT_FALSE(server.status().initialized);
  EXPECT_FALSE(server.status().running);
  server.stop();  // nothing to stop: no error

  server.start();
  server.start();  // idempotent
  auto s = server.status();
  EXPECT_TRUE(s.initialized);
  EXPECT_TRUE(s.running);
  EXPECT_GT(s.pid, 0);
  EXPECT_FALSE(s.version.empty());
  EXPECT_EQ(s.cluster_dir, cluster.dir() / "pg");
  EXPECT_EQ(s.conninfo, server.conninfo());
  EXPECT_EQ(server.conninfo(),
            "host=" + (cluster.dir() / "pg" / "run").string() + " port=5432 dbname=sluice user=sluice");
  {
    auto conn = pg::Connection::open(server.conninfo());
    auto who = conn.query("SELECT current_database(), current_user");
    EXPECT_EQ(who.get(0, 0), "sluice");
    EXPECT_EQ(who.get(0, 1), "sluice");
    conn.exec("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
  }

  server.stop();
  server.stop();  // idempotent
  s = server.status();
  EXPECT_TRUE(s.initialized);
  EXPECT_FALSE(s.running);
  EXPECT_EQ(s.pid, 0);
  EXPECT_THROW(pg::Connection::open(server.conninfo()), Error);

  server.start();
  EXPECT_TRUE(server.status().running);
  auto conn = pg::Connection::open(server.conninfo());
  EXPECT_EQ(conn.query("SELECT x FROM kept").get_int(0, 0), 7);
}

TEST(EmbeddedPostgresTest, ServerIsPrivateAndTunedForBulkLoads) {
  auto conn = test_connection();
  auto show = [&](const char* name) { return std::string(conn.query(std::string("SHOW ") + name).get(0, 0)); };
  EXPECT_EQ(show("listen_addresses"), "");
  EXPECT_EQ(show("unix_socket_permissions"), "0700");
  EXPECT_EQ(show("fsync"), "on");
  EXPECT_EQ(show("wal_level"), "minimal");
  EXPECT_EQ(show("max_wal_senders"), "0");
  EXPECT_EQ(show("max_wal_size"), "4GB");
  EXPECT_EQ(show("shared_buffers"), "256MB");
  EXPECT_EQ(show("checkpoint_timeout"), "15min");
  EXPECT_EQ(show("server_encoding"), "UTF8");

  struct stat st{};
  for (const char* sub : {"", "run", "data"}) {
    ASSERT_EQ(stat((TestPostgres::cluster_dir() / sub).c_str(), &st), 0) << sub;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << sub;
    if (geteuid() == 0) {
      EXPECT_NE(st.st_uid, 0u) << sub << " should belong to the server account";
    }
  }
}

TEST(EmbeddedPostgresTest, TooLongSocketPathIsAClearError) {
  EmbeddedPostgres server("/tmp/" + std::string(120, 'a'));
  try {
    server.start();
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(e.primary().find("socket path would be too long"), std::string::npos) << e.report();
    EXPECT_NE(e.hint().find("SLUICE_PG_DIR"), std::string::npos);
  }
}

TEST(EmbeddedPostgresTest, UnreachableParentDirectoryIsNamed) {
  if (geteuid() != 0) GTEST_SKIP() << "only root runs the server as another account";
  TempCluster blocked("sluice-blocked");
  chmod(blocked.dir().c_str(), 0700);
  try {
    blocked.server().start();
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(e.detail().find(blocked.dir().string() + " has mode 0700"), std::string::npos)
        << e.report();
    EXPECT_NE(e.hint().find("SLUICE_PG_DIR"), std::string::npos) << e.report();
  }
  EXPECT_FALSE(blocked.server().status().initialized);
}

// Points SLUICE_PG_DIR somewhere for one scope.
class ScopedPgDir {
 public:
  explicit ScopedPgDir(const std::string& dir) {
    if (const char* old = std::getenv("SLUICE_PG_DIR")) old_ = old;
    setenv("SLUICE_PG_DIR", dir.c_str(), 1);
  }
  ~ScopedPgDir() {
    if (old_) setenv("SLUICE_PG_DIR", old_->c_str(), 1);
    else unsetenv("SLUICE_PG_DIR");
  }

 private:
  std::optional<std::string> old_;
};

TEST(EmbeddedPostgresTest, DbCommandReportsStatusAndUrl) {
  ScopedPgDir env(TestPostgres::cluster_dir().string());
  EXPECT_EQ(EmbeddedPostgres::default_cluster_dir(), TestPostgres::cluster_dir());

  testing::internal::CaptureStdout();
  EXPECT_EQ(run_db_command("url", false), 0);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), TestPostgres::conninfo() + "\n");

  testing::internal::CaptureStdout();
  EXPECT_EQ(run_db_command("status", false), 0);
  const std::string text = testing::internal::GetCapturedStdout();
  EXPECT_NE(text.find("running:     yes"), std::string::npos) << text;
  EXPECT_NE(text.find(TestPostgres::conninfo()), std::string::npos) << text;

  testing::internal::CaptureStdout();
  EXPECT_EQ(run_db_command("status", true), 0);
  const auto json = nlohmann::json::parse(testing::internal::GetCapturedStdout());
  EXPECT_TRUE(json.at("running").get<bool>());
  EXPECT_GT(json.at("pid").get<int>(), 0);

  EXPECT_THROW(run_db_command("restart", false), Error);
}

TEST(EmbeddedPostgresTest, ACommandThatStartsTheStoppedServerSaysSoOnStderr) {
  TempCluster cluster("sluice-restart");
  cluster.server().start();
  cluster.server().stop();  // as after `sluice db stop`
  const auto config = cluster.dir() / "sluice.yaml";
  {
    std::ofstream out(config);
    out << "tables:\n  - table: T\n    file_pattern: t.tsv\n    columns: [{ name: id, type: bigint }]\n";
  }
  RunOptions o;
  o.env = {{"SLUICE_PG_DIR", (cluster.dir() / "pg").string()}, {"XDG_STATE_HOME", (cluster.dir() / "state").string()}};
  const auto r = run_sluice({"--batch", "report", "--config", config.string()}, o);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("the embedded PostgreSQL was not running; starting it"), std::string::npos) << r.err;
  EXPECT_TRUE(cluster.server().status().running);
  // Running, it is not mentioned again.
  const auto again = run_sluice({"--batch", "report", "--config", config.string()}, o);
  EXPECT_EQ(again.err.find("was not running"), std::string::npos) << again.err;
}

TEST(EmbeddedPostgresTest, DbStatusIsOneWhenNotRunning) {
  TempCluster cluster("sluice-idle");
  ScopedPgDir env((cluster.dir() / "pg").string());
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_db_command("status", false), 1);
  const std::string text = testing::internal::GetCapturedStdout();
  EXPECT_NE(text.find("initialized: no"), std::string::npos) << text;
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_db_command("stop", false), 0);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "not running\n");
}

}  // namespace
}  // namespace sluice::test
