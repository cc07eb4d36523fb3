// The Migrate screen: a migration of the config run from the menu as a background job, its result
// shown when it ends, and the same `sluice --batch migrate run JOB` line in the session log.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include <fmt/format.h>

#include "tests/support/test_postgres.h"
#include "tests/tui/menu_fixture.h"
#include "tests/tui/menu_steps.h"

namespace sluice::test {
namespace {

class MenuMigrate : public MenuFixture {
 protected:
  void TearDown() override {
    auto conn = test_connection();
    const std::string runs = "SELECT run_id FROM sluice_migrate.runs WHERE job = $1";
    if (conn.query("SELECT to_regclass('sluice_migrate.runs') IS NOT NULL").get(0, 0) == "t") {
      conn.query("DELETE FROM sluice_migrate.chunks WHERE run_id IN (" + runs + ")", {job_});
      conn.query("DELETE FROM sluice_migrate.tables WHERE run_id IN (" + runs + ")", {job_});
      conn.query("DELETE FROM sluice_migrate.runs WHERE job = $1", {job_});
      if (conn.query("SELECT to_regclass('sluice_migrate.marks') IS NOT NULL").get(0, 0) == "t")
        conn.query("DELETE FROM sluice_migrate.marks WHERE job = $1", {job_});
    }
    MenuFixture::TearDown();
  }
  // A SQLite file with three orders, and the fixture's config with it as a source and a migration
  // into the test schema ending in `tables`.
  void add_sqlite_migration(const std::string& tables) {
    const auto db_path = dir_ / "legacy.db";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT); "
                               "INSERT INTO orders VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    write_config("");
    std::ifstream in(config_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("connections:\n") + 13, 0, fmt::format("  legacy: {{ type: sqlite, path: \"{}\" }}\n", db_path.string()));
    text += fmt::format("migrations:\n  - {{ name: {}, source: legacy, schema: {}, {} }}\n", job_, schema_, tables);
    std::ofstream(config_) << text;
  }
  std::string job_ = unique_schema_or_table_name("menujob");
};

TEST_F(MenuMigrate, ARunStartedFromTheMenuCopiesTheTableAndIsLoggedAsACommand) {
  add_sqlite_migration("tables: [orders]");
  auto& m = start_menu();
  expect_screen("Migrate");
  open_screen(m, "Migrate");
  expect_screen(job_);
  m.keys({"Down", "Right"});  // Action: run
  expect_screen("Copy in parallel chunks");
  m.keys({"Down", "Down", "Down", "Enter"});  // Table, Restart, Start
  expect_screen("3 rows in 1 chunk");
  EXPECT_EQ(count("orders"), 3);

  m.keys({"Escape"});
  open_screen(m, "Session log");
  expect_screen(fmt::format("migrate run {}", job_));
}

// An incremental table: the screen shows its mark (none before the first run), read from the
// target without holding the screen; a dry run writes nothing.
TEST_F(MenuMigrate, TheScreenShowsAnIncrementalTablesMark) {
  add_sqlite_migration("tables: [{ table: orders, mode: incremental, watermark: [id] }]");
  auto& m = start_menu();
  open_screen(m, "Migrate");
  expect_screen("orders: no mark yet (its first run copies it whole)");
  m.keys({"Down", "Right", "Right"});  // Action: dry-run
  expect_screen("What a run would insert, update and delete");
  m.keys({"Down", "Down", "Enter"});  // Table, Start
  expect_screen("first (whole) copy of 3 rows");
  EXPECT_FALSE(table_exists("orders"));  // nothing written
  m.keys({"Escape"});
  open_screen(m, "Migrate");
  m.keys({"Down", "Right"});  // Action: run
  expect_screen("Copy in parallel chunks");
  m.keys({"Down", "Down", "Down", "Enter"});
  expect_screen("3 rows in 1 chunk");
  m.keys({"Escape"});
  open_screen(m, "Migrate");
  expect_screen(fmt::format("orders -> {}.orders: id at [\"integer:3\"]", schema_));
}

}  // namespace
}  // namespace sluice::test
