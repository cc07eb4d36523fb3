// pg::Connection against the real test server: parameters, error fields, COPY.
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "tests/support/test_postgres.h"
#include "warehouse/postgres/connection.h"

namespace sluice::test {
namespace {

TEST(PostgresConnectionTest, QueryBindsTextParametersAndNull) {
  auto conn = test_connection();
  auto r = conn.query("SELECT $1::int + 1, $2::text IS NULL, $3::text, $2::text",
                      {"41", std::nullopt, "h\xC3\xA9llo 'quoted' $1"});
  ASSERT_EQ(r.rows(), 1);
  ASSERT_EQ(r.columns(), 4);
  EXPECT_EQ(r.get_int(0, 0), 42);
  EXPECT_EQ(r.get(0, 1), "t");
  EXPECT_EQ(r.get(0, 2), "h\xC3\xA9llo 'quoted' $1");
  EXPECT_TRUE(r.is_null(0, 3));
  EXPECT_EQ(r.get(0, 3), "");
  EXPECT_EQ(r.get_optional(0, 3), std::nullopt);
  EXPECT_THROW(r.get_int(0, 3), Error);  // NULL
  EXPECT_THROW(r.get_int(0, 2), Error);  // not a number
  EXPECT_THROW(r.get(1, 0), std::out_of_range);
}

TEST(PostgresConnectionTest, ExecRunsSeveralStatementsAndReportsAffectedRows) {
  auto conn = test_connection();
  const auto t = unique_schema_or_table_name("exec");
  conn.exec(fmt::format("CREATE TABLE {0} (x int); INSERT INTO {0} VALUES (1), (2), (3)", t));
  EXPECT_EQ(conn.query(fmt::format("UPDATE {} SET x = x + 1 WHERE x > $1", t), {"1"}).affected_rows(),
            2u);
  EXPECT_GT(conn.backend_pid(), 0);
  EXPECT_NE(conn.describe().find("dbname=sluice"), std::string::npos) << conn.describe();
}

TEST(PostgresConnectionTest, ServerErrorKeepsSqlstateAndFields) {
  auto conn = test_connection();
  try {
    conn.query("SELECT * FROM no_such_table_anywhere");
    FAIL() << "expected a ServerError";
  } catch (const pg::ServerError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_EQ(e.primary(), "relation \"no_such_table_anywhere\" does not exist");
    EXPECT_EQ(e.code(), ExitCode::runtime);
  }

  try {
    conn.query("SELECT relnam FROM pg_class");
    FAIL() << "expected a ServerError";
  } catch (const pg::ServerError& e) {
    EXPECT_EQ(e.sqlstate(), "42703");
    EXPECT_NE(e.hint().find("pg_class.relname"), std::string::npos) << e.report();
  }

  const auto t = unique_schema_or_table_name("dup");
  conn.exec(fmt::format("CREATE TABLE {} (id int PRIMARY KEY); INSERT INTO {} VALUES (1)", t, t));
  try {
    conn.query(fmt::format("INSERT INTO {} VALUES ($1)", t), {"1"});
    FAIL() << "expected a ServerError";
  } catch (const pg::ServerError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
    EXPECT_EQ(e.detail(), "Key (id)=(1) already exists.");
  }

  try {
    conn.exec("DO $$ BEGIN RAISE EXCEPTION 'boom' USING HINT = 'try later'; END $$");
    FAIL() << "expected a ServerError";
  } catch (const pg::ServerError& e) {
    EXPECT_EQ(e.primary(), "boom");
    EXPECT_EQ(e.hint(), "try later");
    EXPECT_NE(e.context().find("PL/pgSQL"), std::string::npos) << e.context();
  }
  EXPECT_EQ(conn.query("SELECT 1").get_int(0, 0), 1);  // still usable
}

TEST(PostgresConnectionTest, ConnectFailureNamesTargetButNeverThePassword) {
  try {
    pg::Connection::open("host=/nonexistent/sock port=5432 dbname=x user=y password=s3cretpw");
    FAIL() << "expected an Error";
  } catch (const pg::ServerError&) {
    FAIL() << "a connection failure is not a server error";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "cannot connect to PostgreSQL");
    EXPECT_NE(e.detail().find("host=/nonexistent/sock"), std::string::npos) << e.report();
    EXPECT_NE(e.detail().find("dbname=x"), std::string::npos) << e.report();
    EXPECT_NE(e.hint().find("sluice db start"), std::string::npos);
    EXPECT_EQ(e.report().find("s3cretpw"), std::string::npos) << e.report();
  }
  // libpq quotes pieces of a malformed conninfo back; the password must not come with them.
  for (const char* bad : {"host=/x passwords3cretpw", "postgresql://u:s3cretpw@/db?bogus=1",
                          "host=/x password=s3cretpw bogus"}) {
    try {
      pg::Connection::open(bad);
      FAIL() << "expected an Error for " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.report().find("s3cretpw"), std::string::npos) << e.report();
    }
  }
}

TEST(PostgresConnectionTest, LostConnectionSaysTheServerClosedIt) {
  auto victim = test_connection();
  auto admin = test_connection();
  admin.query("SELECT pg_terminate_backend($1, 10000)", {std::to_string(victim.backend_pid())});
  try {
    victim.query("SELECT 1");
    FAIL() << "expected a ServerError";
  } catch (const pg::ServerError& e) {
    EXPECT_NE(e.primary().find("server closed the connection"), std::string::npos) << e.report();
  }
  try {
    victim.exec("SELECT 1");
    FAIL() << "expected a ServerError";
  } catch (const pg::ServerError& e) {
    EXPECT_NE(e.primary().find("server closed the connection"), std::string::npos) << e.report();
  }
}

TEST(PostgresConnectionTest, ConnectionLostDuringCopySaysTheServerClosedIt) {
  auto victim = test_connection();
  auto admin = test_connection();
  const auto t = unique_schema_or_table_name("lost");
  victim.exec(fmt::format("CREATE TABLE {} (id int)", t));
  victim.copy_begin(fmt::format("COPY {} FROM STDIN", t));
  victim.copy_put("1\n", 2);
  admin.query("SELECT pg_terminate_backend($1, 10000)", {std::to_string(victim.backend_pid())});
  try {
    const std::string rows(1 << 20, '\n');  // enough to hit the closed socket, not just a buffer
    victim.copy_put(rows.data(), rows.size());
    victim.copy_end();
    FAIL() << "expected a ServerError";
  } catch (const pg::ServerError& e) {
    EXPECT_NE(e.primary().find("server closed the connection"), std::string::npos) << e.report();
  }
}

std::string thousand_rows() {
  std::string data;
  for (int i = 1; i <= 1000; ++i)
    data += i % 100 == 0 ? fmt::format("{}\t\\N\ttab\\there\n", i)
                         : fmt::format("{}\tname {}\tn\xC3\xB6te\n", i, i);
  return data;
}

TEST(PostgresConnectionTest, CopyReturnsRowCountAndLoadsContents) {
  auto conn = test_connection();
  const auto t = unique_schema_or_table_name("copy");
  conn.exec(fmt::format("CREATE TABLE {} (id int, name text, note text)", t));
  conn.copy_begin(fmt::format("COPY {} FROM STDIN", t));
  const std::string data = thousand_rows();
  // Odd chunk sizes split rows across calls, as a streaming loader does.
  for (std::size_t pos = 0; pos < data.size(); pos += 997)
    conn.copy_put(data.data() + pos, std::min<std::size_t>(997, data.size() - pos));
  EXPECT_EQ(conn.copy_end(), 1000u);

  auto r = conn.query(fmt::format(
      "SELECT count(*), sum(id), count(name), count(*) FILTER (WHERE note = 'tab' || chr(9) || "
      "'here') FROM {}",
      t));
  EXPECT_EQ(r.get_int(0, 0), 1000);
  EXPECT_EQ(r.get_int(0, 1), 500500);
  EXPECT_EQ(r.get_int(0, 2), 990);
  EXPECT_EQ(r.get_int(0, 3), 10);
  auto row = conn.query(fmt::format("SELECT name, note FROM {} WHERE id = $1", t), {"7"});
  EXPECT_EQ(row.get(0, 0), "name 7");
  EXPECT_EQ(row.get(0, 1), "n\xC3\xB6te");
}

TEST(PostgresConnectionTest, CopyAbortLeavesTableEmpty) {
  auto conn = test_connection();
  const auto t = unique_schema_or_table_name("abort");
  conn.exec(fmt::format("CREATE TABLE {} (id int, name text, note text)", t));
  conn.copy_begin(fmt::format("COPY {} FROM STDIN", t));
  const std::string data = thousand_rows();
  conn.copy_put(data.data(), data.size());
  conn.copy_abort("cancelled by the test");
  EXPECT_EQ(conn.query(fmt::format("SELECT count(*) FROM {}", t)).get_int(0, 0), 0);
}

TEST(PostgresConnectionTest, CopyErrorCarriesContextWithLineNumber) {
  auto conn = test_connection();
  const auto t = unique_schema_or_table_name("copyerr");
  conn.exec(fmt::format("CREATE TABLE {} (id int, name text)", t));
  conn.copy_begin(fmt::format("COPY {} FROM STDIN", t));
  const std::string data = "1\ta\n2\tb\nthree\tc\n4\td\n";
  conn.copy_put(data.data(), data.size());
  try {
    conn.copy_end();
    FAIL() << "expected a ServerError";
  } catch (const pg::ServerError& e) {
    EXPECT_EQ(e.sqlstate(), "22P02");
    EXPECT_NE(e.primary().find("invalid input syntax for type integer"), std::string::npos);
    EXPECT_NE(e.context().find(fmt::format("COPY {}, line 3, column id", t)), std::string::npos)
        << e.context();
  }
  EXPECT_EQ(conn.query(fmt::format("SELECT count(*) FROM {}", t)).get_int(0, 0), 0);
}

TEST(PostgresConnectionTest, CopyStatementsOutsideCopyBeginAreRefused) {
  auto conn = test_connection();
  const auto t = unique_schema_or_table_name("stray");
  conn.exec(fmt::format("CREATE TABLE {} (id int)", t));
  EXPECT_THROW(conn.exec(fmt::format("COPY {} FROM STDIN", t)), Error);
  EXPECT_THROW(conn.query(fmt::format("COPY {} TO STDOUT", t)), Error);
  EXPECT_THROW(conn.copy_begin("SELECT 1"), Error);
  EXPECT_EQ(conn.query("SELECT 2").get_int(0, 0), 2);  // the session survived all three
}

}  // namespace
}  // namespace sluice::test
