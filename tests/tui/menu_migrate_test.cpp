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
    }
    MenuFixture::TearDown();
  }
  std::string job_ = unique_schema_or_table_name("menujob");
};

TEST_F(MenuMigrate, ARunStartedFromTheMenuCopiesTheTableAndIsLoggedAsACommand) {
  const auto db_path = dir_ / "legacy.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT); "
                             "INSERT INTO orders VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  write_config("");
  {
    // The fixture's config with a SQLite source and a migration into the test schema.
    std::ifstream in(config_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("connections:\n") + 13, 0, fmt::format("  legacy: {{ type: sqlite, path: \"{}\" }}\n", db_path.string()));
    text += fmt::format("migrations:\n  - {{ name: {}, source: legacy, schema: {}, tables: [orders] }}\n", job_, schema_);
    std::ofstream(config_) << text;
  }
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

}  // namespace
}  // namespace sluice::test
