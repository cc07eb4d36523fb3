// `sluice migrate plan` on a real SQLite file, through the binary as a user runs it: the tables its
// entries choose, each column's type and fidelity, the values that will not fit, the DDL, the
// problems that make it exit 2, and the file left untouched.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/run_sluice.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

class MigratePlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = dir_ / "legacy.db";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
    const char* sql =
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, Customer VARCHAR(40) NOT NULL, amount DECIMAL(10,2), qty INT, "
        "placed DATETIME, note);"
        "CREATE UNIQUE INDEX orders_customer ON orders(Customer, id);"
        "INSERT INTO orders VALUES (1, 'Ann', 10.5, 3, '2024-01-05 10:00:00', 'x');"
        "INSERT INTO orders VALUES (2, 'Bob', 2, 'three', 1700000000, 'y');"
        "INSERT INTO orders VALUES (3, 'Cy', 7, x'01', NULL, NULL);"
        "CREATE TABLE tmp_scratch (a);"
        "CREATE TABLE Events (ts, kind TEXT);"
        "INSERT INTO Events VALUES (1, 'a'), ('x', 'b');";
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
    sqlite3_close(db);
    before_ = std::filesystem::last_write_time(db_path_);
  }

  std::filesystem::path config(const std::string& migrations) {
    return dir_.write("sluice.yaml", "connections:\n  legacy: { type: sqlite, path: \"" + db_path_.string() +
                                         "\" }\nmigrations:\n" + migrations);
  }

  test::RunResult plan(const std::vector<std::string>& args) {
    test::RunOptions o;
    o.env["SLUICE_STATE_DIR"] = (dir_ / "state").string();
    o.env["SLUICE_PG_DIR"] = (dir_ / "pg").string();  // a plan must not need (or start) a server
    std::vector<std::string> all = {"--batch"};
    all.insert(all.end(), args.begin(), args.end());
    return test::run_sluice(all, o);
  }

  test::TempDir dir_;
  std::filesystem::path db_path_;
  std::filesystem::file_time_type before_;
};

TEST_F(MigratePlanTest, ThePlanNamesTablesTypesMisfitsAndDdlAndChangesNothing) {
  const auto cfg = config(
      "  - name: legacy_to_pg\n"
      "    source: legacy\n"
      "    schema: Migrated\n"
      "    tables: [\"*\", \"!tmp_*\", { table: events, target_table: events_v1 }]\n");
  // Options in any position: after the subcommand as before it, the output options too.
  const test::RunResult r = plan({"--format", "json", "migrate", "plan", "--config", cfg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["migration"], "legacy_to_pg");
  EXPECT_EQ(j["target"], "local");
  EXPECT_EQ(j["target_schema"], "migrated");
  ASSERT_EQ(j["tables"].size(), 2u);  // tmp_scratch excluded
  const auto& events = j["tables"][0];
  EXPECT_EQ(events["source_table"], "Events");
  EXPECT_EQ(events["target_table"], "events_v1");
  EXPECT_EQ(events["rows"], 2);
  EXPECT_EQ(events["columns"][0]["target_type"], "text");
  EXPECT_EQ(events["columns"][0]["fidelity"], "widened");

  const auto& orders = j["tables"][1];
  EXPECT_EQ(orders["source_table"], "orders");
  EXPECT_EQ(orders["rows"], 3);
  EXPECT_EQ(orders["chunk_by"], "rowid");
  EXPECT_EQ(orders["mode"], "full");
  const auto& cols = orders["columns"];
  EXPECT_EQ(cols[1]["target"], "customer");
  EXPECT_EQ(cols[1]["target_type"], "text");
  EXPECT_EQ(cols[1]["nullable"], false);
  EXPECT_EQ(cols[2]["target_type"], "numeric(10,2)");
  EXPECT_EQ(cols[3]["target_type"], "bigint");
  EXPECT_EQ(cols[3]["values_that_do_not_fit"], 2);
  EXPECT_EQ(cols[3]["values_that_do_not_fit_note"], "1 text value, 1 blob");
  EXPECT_EQ(cols[5]["target_type"], "text");  // no declared type, only text in it
  EXPECT_EQ(cols[5]["fidelity"], "exact");
  EXPECT_EQ(orders["create_sql"],
            "CREATE TABLE \"migrated\".\"orders\" (\n  \"id\" bigint NOT NULL,\n  \"customer\" text NOT NULL,\n"
            "  \"amount\" numeric(10,2),\n  \"qty\" bigint,\n  \"placed\" timestamp,\n  \"note\" text\n)");
  EXPECT_EQ(orders["after_data_sql"],
            nlohmann::json::array({"ALTER TABLE \"migrated\".\"orders\" ADD PRIMARY KEY (\"id\")",
                                   "CREATE UNIQUE INDEX \"orders_customer\" ON \"migrated\".\"orders\" (\"customer\", \"id\")"}));
  EXPECT_EQ(std::filesystem::last_write_time(db_path_), before_);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pg"));  // no server was started for a plan

  const test::RunResult text = plan({"--config", cfg.string(), "migrate", "plan", "legacy_to_pg", "--table", "orders"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("orders -> migrated.orders  (3 rows"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("! qty: 1 text value, 1 blob cannot become bigint"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("Events"), std::string::npos) << text.out;
}

TEST_F(MigratePlanTest, AConfigThatMustChangeFirstExitsTwoSayingWhat) {
  const auto cfg = config(
      "  - name: m\n"
      "    source: legacy\n"
      "    tables:\n"
      "      - orders\n"
      "      - { table: orders, cast: { qty: money, nope: text }, rename: { note: customer } }\n");
  const test::RunResult r = plan({"migrate", "plan", "--config", cfg.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err << r.out;
  EXPECT_NE(r.out.find("PROBLEM: cast: { qty: money }: sluice writes no values of type money"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PROBLEM: cast names column nope, which orders does not have"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PROBLEM: columns Customer and note would both be customer in PostgreSQL"), std::string::npos) << r.out;

  const test::RunResult json = plan({"migrate", "plan", "--config", cfg.string(), "--json"});
  EXPECT_EQ(json.exit_code, 2);
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["runnable"], false);
  EXPECT_EQ(j["tables"][0]["problems"].size(), 3u);
}

TEST_F(MigratePlanTest, ATableTheSourceDoesNotHaveAndAnAmbiguousJobAreUsageErrors) {
  auto cfg = config("  - { name: m, source: legacy, tables: [orders, ordres] }\n");
  test::RunResult r = plan({"migrate", "plan", "--config", cfg.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("migration \"m\" names table ordres, which the source \"legacy\" does not have"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Events, orders, tmp_scratch"), std::string::npos) << r.err;

  cfg = config("  - { name: a, source: legacy, tables: [orders] }\n  - { name: b, source: legacy, tables: [Events] }\n");
  r = plan({"migrate", "plan", "--config", cfg.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("which migration?"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a, b"), std::string::npos) << r.err;
  r = plan({"migrate", "plan", "b", "--config", cfg.string(), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tables"][0]["source_table"], "Events");
}

}  // namespace
}  // namespace sluice
