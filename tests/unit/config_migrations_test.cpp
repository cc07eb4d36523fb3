// SQLite connections and the migrations: section: what a migration job says, its defaults, and the
// errors a mistyped one gets (each with the place it is at and what to write instead).
#include <gtest/gtest.h>

#include <string>

#include "app/config.h"
#include "core/error.h"
#include "tests/support/config_test.h"

namespace sluice {
namespace {

using test::parse_error;
using test::ScopedEnv;

// A SQLite source and the embedded target; `migrations` is the text under "migrations:".
std::string with_migrations(const std::string& migrations) {
  return "connections:\n"
         "  legacy: { type: sqlite, path: /data/legacy.db }\n"
         "  local:  { type: postgres, embedded: true }\n"
         "migrations:\n" +
         migrations;
}

TEST(ConfigMigrations, TheIssuesExampleParsesWithEveryKey) {
  const Config c = parse_config(with_migrations(R"yaml(  - name: legacy_to_pg
    source: legacy
    target: local
    schema: migrated
    workers: 4
    chunk_rows: 250000
    tables:
      - "*"
      - "!tmp_*"
      - { table: events, target_table: events_v1, chunk_by: created_at, where: "deleted = 0", mode: full }
      - table: users
        mode: append
        rename: { usr_nm: user_name }
        cast: { score: "numeric(12,2)", flags: text }
)yaml"),
                                "t.yaml");
  ASSERT_EQ(c.migrations.size(), 1u);
  const MigrationSpec& m = c.migrations[0];
  EXPECT_EQ(m.name, "legacy_to_pg");
  EXPECT_EQ(m.source, "legacy");
  EXPECT_EQ(m.target, "local");
  EXPECT_EQ(m.schema, "migrated");
  EXPECT_EQ(m.workers, 4);
  EXPECT_EQ(m.chunk_rows, 250000u);
  EXPECT_EQ(m.mode, MigrationMode::full);
  EXPECT_EQ(m.position.str(), "t.yaml:5:5");
  ASSERT_EQ(m.tables.size(), 4u);
  EXPECT_EQ(m.tables[0].pattern, "*");
  EXPECT_FALSE(m.tables[0].exclude);
  EXPECT_TRUE(m.tables[0].is_glob());
  EXPECT_EQ(m.tables[1].pattern, "tmp_*");
  EXPECT_TRUE(m.tables[1].exclude);
  const MigrationTableRule& events = m.tables[2];
  EXPECT_EQ(events.pattern, "events");
  EXPECT_FALSE(events.is_glob());
  EXPECT_EQ(events.target_table, "events_v1");
  EXPECT_EQ(events.chunk_by, "created_at");
  EXPECT_EQ(events.where, "deleted = 0");
  EXPECT_EQ(events.mode, MigrationMode::full);
  const MigrationTableRule& users = m.tables[3];
  EXPECT_EQ(users.mode, MigrationMode::append);
  EXPECT_EQ(users.rename.at("usr_nm"), "user_name");
  EXPECT_EQ(users.cast.at("score"), "numeric(12,2)");
  EXPECT_EQ(users.cast.at("flags"), "text");
  EXPECT_EQ(users.position.str(), "t.yaml:15:9");

  const ConnectionSpec& legacy = c.connections.at("legacy");
  EXPECT_EQ(legacy.type(), ConnectionType::sqlite);
  ASSERT_NE(legacy.sqlite(), nullptr);
  EXPECT_EQ(legacy.sqlite()->path, "/data/legacy.db");
  EXPECT_FALSE(legacy.can_be_loaded_into());
  // The SQLite file is not something to load into, so the one PostgreSQL connection is the target.
  EXPECT_EQ(c.target, "local");
  EXPECT_EQ(c.find_migration("legacy_to_pg"), &m);
  EXPECT_EQ(c.find_migration("LEGACY_TO_PG"), nullptr);
}

TEST(ConfigMigrations, AConfigOfOnlyASqliteFileMigratesIntoTheEmbeddedServer) {
  ScopedEnv home("HOME", "/home/analyst");
  const Config c = parse_config(R"yaml(connections:
  legacy: { type: sqlite, path: ~/stores/legacy.db }
migrations:
  - { name: m, source: legacy, tables: [orders] }
)yaml",
                                "t.yaml");
  EXPECT_EQ(c.connections.at("legacy").sqlite()->path, "/home/analyst/stores/legacy.db");
  EXPECT_EQ(c.target, "local");
  ASSERT_NE(c.target_connection().postgres(), nullptr);
  EXPECT_TRUE(c.target_connection().postgres()->embedded);
  ASSERT_EQ(c.migrations.size(), 1u);
  EXPECT_EQ(c.migrations[0].target, "local");
  EXPECT_EQ(c.migrations[0].workers, 0);  // sized when it runs
  EXPECT_EQ(c.migrations[0].chunk_rows, 1000000u);
  EXPECT_EQ(c.migrations[0].tables[0].pattern, "orders");
}

TEST(ConfigMigrations, NothingIsLoadedIntoASqliteFile) {
  Error e = parse_error(R"yaml(target: legacy
connections:
  legacy: { type: sqlite, path: /data/legacy.db }
  pg: { type: postgres, embedded: true }
)yaml");
  EXPECT_EQ(e.primary(), "target \"legacy\" is a SQLite file");
  EXPECT_EQ(e.detail(), "t.yaml:1:9");
  EXPECT_NE(e.hint().find("migration"), std::string::npos) << e.hint();

  e = parse_error(R"yaml(connections:
  legacy: { type: sqlite, path: /data/legacy.db }
  pg: { type: postgres, embedded: true }
tables:
  - table: T
    connection: legacy
    file_pattern: "t_{month}.tsv"
    columns: [{ name: id, type: bigint }]
)yaml");
  EXPECT_EQ(e.primary(), "connection \"legacy\" is a SQLite file");
  EXPECT_EQ(e.detail(), "t.yaml:6:17");
}

TEST(ConfigMigrations, ASqliteConnectionNeedsItsPathAndNothingElse) {
  Error e = parse_error("connections:\n  legacy: { type: sqlite }\n");
  EXPECT_EQ(e.primary(), "missing key \"path\" in sqlite connection \"legacy\"");
  EXPECT_EQ(e.detail(), "t.yaml:2:11");

  e = parse_error("connections:\n  legacy: { type: sqlite, path: /a.db, dsn: \"x\" }\n");
  EXPECT_NE(e.primary().find("\"dsn\""), std::string::npos) << e.primary();
  EXPECT_EQ(e.detail(), "t.yaml:2:40");

  e = parse_error("connections:\n  legacy: { type: sqlit, path: /a.db }\n");
  EXPECT_EQ(e.primary(), "unknown connection type \"sqlit\" in connection \"legacy\"");
  EXPECT_NE(e.hint().find("type: sqlite"), std::string::npos) << e.hint();
}

TEST(ConfigMigrations, TheTargetIsPostgreSql) {
  const Error e = parse_error(R"yaml(target: pg
connections:
  legacy: { type: sqlite, path: /data/legacy.db }
  pg: { type: postgres, embedded: true }
  snow:
    type: snowflake
    account: a
    user: u
    auth: { method: pat, token_env: SF_PAT }
    warehouse: w
    database: d
migrations:
  - { name: m, source: legacy, target: snow, tables: ["*"] }
)yaml");
  EXPECT_EQ(e.primary(), "migration \"m\" goes into connection \"snow\", which is not PostgreSQL");
  EXPECT_EQ(e.detail(), "t.yaml:13:40");
  EXPECT_NE(e.hint().find("postgres connection"), std::string::npos) << e.hint();
}

TEST(ConfigMigrations, MistakesAreNamedWhereTheyAre) {
  struct Case {
    std::string migration, primary, at;
  };
  const Case cases[] = {
      {"  - { name: m, source: nowhere, tables: [\"*\"] }\n", "connection \"nowhere\" is not defined", "t.yaml:5:24"},
      {"  - { name: m, source: legacy, tables: [\"*\"], workers: 0 }\n",
       "workers must be a whole number from 1 to 64, not \"0\"", "t.yaml:5:56"},
      {"  - { name: m, source: legacy, tables: [\"*\"], workers: four }\n",
       "workers must be a whole number from 1 to 64, not \"four\"", "t.yaml:5:56"},
      {"  - { name: m, source: legacy, tables: [\"*\"], mode: replace }\n", "unknown mode \"replace\"", "t.yaml:5:53"},
      {"  - { name: m, source: legacy, tables: [] }\n", "migration \"m\" lists no tables", "t.yaml:5:40"},
      {"  - { name: m, source: legacy, tables: [\"!tmp_*\"] }\n", "migration \"m\" only excludes tables",
       "t.yaml:5:40"},
      {"  - { name: m, source: legacy, tables: [{ table: \"fact_*\", target_table: f }] }\n",
       "target_table names one table, but \"fact_*\" is a glob", "t.yaml:5:74"},
      {"  - { name: m, source: legacy, tables: [{ table: \"!t\" }] }\n",
       "an entry that excludes tables is a plain list item", "t.yaml:5:50"},
      {"  - { name: \"my job\", source: legacy, tables: [t] }\n",
       "migration name \"my job\" holds characters other than letters, digits, _ - .", "t.yaml:5:13"},
      {"  - { name: m, source: legacy, tables: [{ table: t, rename: { a: } }] }\n", "rename: a needs a single value",
       "t.yaml:5:63"},
      {"  - { source: legacy, tables: [t] }\n", "missing key \"name\" in migration", "t.yaml:5:5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.migration);
    const Error e = parse_error(with_migrations(c.migration));
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), c.primary);
    EXPECT_EQ(e.detail(), c.at);
  }
}

TEST(ConfigMigrations, AnIncrementalTableSaysItsWatermarkKeyAndPolicies) {
  const Config c = parse_config(with_migrations(
      "  - { name: m, source: legacy, tables: [{ table: orders, mode: incremental, watermark: [day, seq], primary_key: [id], "
      "deletes: detect, null_watermark: skip }, { table: log, mode: append, watermark: [at], lookback: 15m }] }\n"),
      "t.yaml");
  const auto& rules = c.migrations.at(0).tables;
  EXPECT_EQ(rules[0].mode, MigrationMode::incremental);
  EXPECT_EQ(rules[0].watermark, (std::vector<std::string>{"day", "seq"}));
  EXPECT_EQ(rules[0].primary_key, std::vector<std::string>{"id"});
  EXPECT_TRUE(rules[0].detect_deletes);
  EXPECT_EQ(rules[0].null_watermark, NullWatermark::skip);
  EXPECT_FALSE(rules[0].lookback);
  EXPECT_EQ(rules[1].lookback, 900.0);

  struct Case {
    std::string entry, primary;
  };
  const Case cases[] = {
      {"{ table: t, mode: incremental }", "mode: incremental needs a watermark"},
      {"{ table: t, mode: full, watermark: [w] }",
       "a watermark is for mode: incremental (upsert what changed) or mode: append (add new rows)"},
      {"{ table: t, mode: incremental, watermark: [w], deletes: all }", "unknown deletes \"all\""},
      {"{ table: t, mode: incremental, watermark: [w], null_watermark: zero }", "unknown null_watermark \"zero\""},
      {"{ table: t, mode: incremental, watermark: [w], lookback: soon }", "lookback must be a number or a duration, not \"soon\""},
      {"{ table: t, mode: append, watermark: [w, w] }", "watermark: column w is named twice"},
      {"{ table: t, lookback: 5 }", "lookback applies to a table synced by watermark"},
      {"{ table: t, mode: append, watermark: [w], deletes: detect }", "deletes: detect needs mode: incremental (rows are matched by key)"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.entry);
    const Error e = parse_error(with_migrations("  - { name: m, source: legacy, tables: [" + k.entry + "] }\n"));
    EXPECT_EQ(e.code(), ExitCode::usage);
    EXPECT_EQ(e.primary(), k.primary);
  }
}

TEST(ConfigMigrations, AnUnknownKeyIsAnErrorWithTheKeyItMeant) {
  const Error e = parse_error(with_migrations("  - { name: m, source: legacy, tables: [t], worker: 2 }\n"));
  EXPECT_NE(e.primary().find("\"worker\""), std::string::npos) << e.primary();
  EXPECT_EQ(e.hint(), "did you mean \"workers\"?");

  const Error t = parse_error(with_migrations("  - { name: m, source: legacy, tables: [{ table: t, chunkby: id }] }\n"));
  EXPECT_NE(t.primary().find("\"chunkby\""), std::string::npos) << t.primary();
  EXPECT_EQ(t.hint(), "did you mean \"chunk_by\"?");
}

TEST(ConfigMigrations, AMigrationIsDefinedOnce) {
  const Error e = parse_error(with_migrations("  - { name: m, source: legacy, tables: [a] }\n"
                                              "  - { name: m, source: legacy, tables: [b] }\n"));
  EXPECT_EQ(e.primary(), "migration \"m\" is defined twice");
  EXPECT_EQ(e.detail(), "t.yaml:6:5");
  EXPECT_NE(e.hint().find("t.yaml:5:5"), std::string::npos) << e.hint();
}

}  // namespace
}  // namespace sluice
