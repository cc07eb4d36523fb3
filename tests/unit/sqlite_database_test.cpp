// The SQLite wrapper the job store and (later) migrate's SQLite reader share: read-write files are
// created, read-only ones are never created or written, values round-trip (a 64-bit checksum above
// INT64_MAX included), a transaction left by an exception rolls back, and every failure names the
// file with a hint.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/support/temp_dir.h"
#include "warehouse/sqlite/database.h"

namespace sluice::sqlite {
namespace {

std::int64_t count_rows(const Database& db) {
  Statement s(db, "SELECT count(*) FROM t", "cannot count");
  EXPECT_TRUE(s.step());
  return s.int64(0);
}

TEST(SqliteDatabase, ReadWriteCreatesTheFileAndValuesReadBack) {
  test::TempDir dir;
  const auto path = dir / "a.sqlite";
  Database db(path, OpenMode::read_write);
  EXPECT_TRUE(std::filesystem::exists(path));
  db.exec("CREATE TABLE t (i INTEGER, u INTEGER, r REAL, s TEXT)", "cannot create");
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max() - 7;
  Statement insert(db, "INSERT INTO t VALUES (?, ?, ?, ?)", "cannot insert");
  insert.bind(1, std::int64_t{-5}).bind(2, big).bind_real(3, 0.25).bind(4, std::string("a\0b", 3));
  insert.run();
  EXPECT_EQ(db.last_insert_rowid(), 1);
  EXPECT_EQ(db.changes(), 1);
  db.exec("INSERT INTO t (i) VALUES (7)", "cannot insert");

  Statement s(db, "SELECT i, u, r, s FROM t ORDER BY rowid", "cannot read");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.int64(0), -5);
  EXPECT_EQ(s.uint64(1), big);
  EXPECT_EQ(s.real(2), 0.25);
  EXPECT_EQ(s.text(3), std::string("a\0b", 3));
  EXPECT_FALSE(s.is_null(3));
  ASSERT_TRUE(s.step());
  EXPECT_TRUE(s.is_null(1));
  EXPECT_EQ(s.text(3), "");
  EXPECT_FALSE(s.step());
}

TEST(SqliteDatabase, ReadOnlyReadsButNeverCreatesOrWrites) {
  test::TempDir dir;
  const auto path = dir / "source.sqlite";
  try {
    Database missing(path, OpenMode::read_only, "the source");
    FAIL() << "a missing file opened read-only";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "cannot open the source");
    EXPECT_NE(e.detail().find(path.string()), std::string::npos) << e.report();
    EXPECT_NE(e.hint().find("readable"), std::string::npos) << e.report();
  }
  EXPECT_FALSE(std::filesystem::exists(path));

  {
    Database writer(path, OpenMode::read_write);
    writer.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept')", "cannot fill");
  }
  Database reader(path, OpenMode::read_only);
  EXPECT_EQ(count_rows(reader), 1);
  try {
    reader.exec("INSERT INTO t VALUES ('no')", "cannot write the source");
    FAIL() << "a read-only database took a write";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "cannot write the source");
    EXPECT_NE(e.detail().find(path.string()), std::string::npos) << e.report();
  }
  EXPECT_EQ(count_rows(reader), 1);
}

TEST(SqliteDatabase, ATransactionLeftWithoutCommitRollsBack) {
  test::TempDir dir;
  Database db(dir / "t.sqlite", OpenMode::read_write);
  db.exec("CREATE TABLE t (x INTEGER)", "cannot create");
  try {
    Transaction tx(db, "cannot insert");
    db.exec("INSERT INTO t VALUES (1)", "cannot insert");
    throw std::runtime_error("interrupted");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(count_rows(db), 0);
  {
    Transaction tx(db, "cannot insert");
    db.exec("INSERT INTO t VALUES (1)", "cannot insert");
    tx.commit();
  }
  EXPECT_EQ(count_rows(db), 1);
}

TEST(SqliteDatabase, TheOwnersHintWinsAndTheGeneralOneStandsIn) {
  test::TempDir dir;
  const auto garbage = dir.write("x.sqlite", std::string(4096, 'x'));
  const HintFor mine = [](Trouble t, const std::filesystem::path&) {
    return t == Trouble::not_a_database ? std::string("move it aside") : std::string();
  };
  for (const bool own : {true, false}) {
    try {
      Database db(garbage, OpenMode::read_write, "the file", own ? mine : HintFor{});
      db.exec("CREATE TABLE t (x INTEGER)", "cannot create");
      FAIL() << "garbage was used as a database";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::runtime);
      EXPECT_NE(e.detail().find(garbage.string()), std::string::npos) << e.report();
      EXPECT_EQ(e.hint(), own ? "move it aside" : garbage.string() + " is not a SQLite database, or it is damaged.")
          << e.report();
    }
  }
  Database ok(dir / "ok.sqlite", OpenMode::read_write);
  try {
    Statement bad(ok, "SELEC 1", "cannot prepare");
    FAIL() << "bad SQL was prepared";
  } catch (const Error& e) {
    EXPECT_EQ(e.primary(), "cannot prepare");
  }
}

}  // namespace
}  // namespace sluice::sqlite
