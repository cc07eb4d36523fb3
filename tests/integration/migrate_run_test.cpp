// `sluice migrate run` from real SQLite files into the test PostgreSQL, through the binary: every
// kind of value arrives as it should (value by value), a run killed with SIGKILL leaves the
// previous table readable and resumes exactly (nothing twice, nothing missing), and another job
// writing the same table is refused while the first is unfinished.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/run_sluice.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_postgres.h"
#include "warehouse/postgres/connection.h"

namespace sluice::test {
namespace {

class MigrateRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = unique_schema_or_table_name("mig");
    job_ = unique_schema_or_table_name("job");
    db_path_ = dir_ / "legacy.db";
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db_), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(db_);
    conn_.exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_));
    for (const auto& s : source_schemas_) conn_.exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", s));
    for (const std::string& job : {job_, job_ + "_other"}) forget(job);
  }
  // The job's runs and marks, gone from the run-state tables (when a run made them).
  void forget(const std::string& job) {
    if (one("SELECT to_regclass('sluice_migrate.marks')") == "NULL") return;
    const std::string runs = "SELECT run_id FROM sluice_migrate.runs WHERE job = $1";
    conn_.query("DELETE FROM sluice_migrate.chunks WHERE run_id IN (" + runs + ")", {job});
    conn_.query("DELETE FROM sluice_migrate.tables WHERE run_id IN (" + runs + ")", {job});
    conn_.query("DELETE FROM sluice_migrate.runs WHERE job = $1", {job});
    conn_.query("DELETE FROM sluice_migrate.marks WHERE job = $1", {job});
  }
  void sqlite(const std::string& sql) {
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
  }
  // A config with the SQLite source, the test server as target and `migrations`.
  std::filesystem::path config(const std::string& migrations) {
    return dir_.write("sluice.yaml", fmt::format("connections:\n"
                                                 "  legacy: {{ type: sqlite, path: \"{}\" }}\n"
                                                 "  pg: {{ type: postgres, dsn: \"{}\" }}\n"
                                                 "target: pg\n"
                                                 "migrations:\n{}",
                                                 db_path_.string(), TestPostgres::conninfo(), migrations));
  }
  RunOptions env() const {
    RunOptions o;
    o.env = {{"XDG_STATE_HOME", (dir_ / "state").string()}, {"XDG_DATA_HOME", (dir_ / "data").string()}};
    return o;
  }
  RunResult migrate(const std::filesystem::path& cfg, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--batch", "migrate", "run", "--config", cfg.string(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_sluice(args, env());
  }
  // A schema on the test server holding a PostgreSQL source's tables (`ddl`, {0} = the schema),
  // dropped when the test ends.
  std::string postgres_source(const std::string& ddl) {
    source_schemas_.push_back(unique_schema_or_table_name("src"));
    conn_.exec(fmt::format("CREATE SCHEMA {}", source_schemas_.back()));
    conn_.exec(fmt::format(fmt::runtime(ddl), source_schemas_.back()));
    return source_schemas_.back();
  }
  // A config migrating from `source` (the test server in another time zone) into schema_;
  // `settings` ends the migration's entry ("workers: 2, tables: [...]").
  std::filesystem::path postgres_config(const std::string& source, const std::string& settings) {
    return dir_.write("pg.yaml", fmt::format("connections:\n"
                                             "  src: {{ type: postgres, dsn: \"{0} options='-c TimeZone=Asia/Kolkata'\" }}\n"
                                             "  pg: {{ type: postgres, dsn: \"{0}\" }}\n"
                                             "target: pg\n"
                                             "migrations:\n"
                                             "  - {{ name: {1}, source: src, source_schema: {2}, schema: {3}, {4} }}\n",
                                             TestPostgres::conninfo(), job_, source, schema_, settings));
  }
  std::string one(const std::string& sql) {
    auto r = conn_.query(sql);
    return r.rows() == 0 || r.is_null(0, 0) ? "NULL" : std::string(r.get(0, 0));
  }

  TempDir dir_;
  std::string schema_, job_;
  std::vector<std::string> source_schemas_;
  std::filesystem::path db_path_;
  sqlite3* db_ = nullptr;
  pg::Connection conn_ = test_connection();
};

TEST_F(MigrateRunTest, EveryKindOfValueArrivesAsSqliteHeldIt) {
  sqlite("CREATE TABLE nasty (id INTEGER PRIMARY KEY, i INTEGER, r REAL, d DECIMAL(12,3), t TEXT, b BLOB, day DATE, "
         "at DATETIME, flag BOOLEAN, loose);"
         "CREATE INDEX nasty_t ON nasty(t);"
         "INSERT INTO nasty VALUES (1, -9223372036854775808, 0.1, 1.5, 'tab\there', x'00ff', '2024-02-29', "
         "'2024-01-05 10:20:30.123456', 1, 42);"
         "INSERT INTO nasty VALUES (2, 9223372036854775807, 1e300, -0.125, 'line\none\\back', x'', 2460000.5, 1700000000, "
         "0, 'text');"
         "INSERT INTO nasty VALUES (3, 0, -2.5e-10, 99, 'caf\xc3\xa9 \xf0\x9f\x98\x80', NULL, NULL, 2460000.25, 'false', NULL);"
         "INSERT INTO nasty VALUES (4, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, 'A');"
         "INSERT INTO nasty VALUES (5, 7, 3, 0, '\\N', x'5c4e', '2024-01-01', '2024-01-01', 'yes', 1.5);");
  const auto cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, tables: [nasty] }}\n", job_, schema_));
  const RunResult r = migrate(cfg);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tables"][0]["copied_rows"], 5);

  auto rows = conn_.query(fmt::format(
      "SELECT id, i::text, r::text, d::text, t, encode(b, 'hex'), day::text, at::text, flag::text, loose "
      "FROM {}.nasty ORDER BY id",
      schema_));
  ASSERT_EQ(rows.rows(), 5);
  const auto row = [&](int r) {
    std::string out;
    for (int c = 1; c < rows.columns(); ++c) out += (c > 1 ? "|" : "") + (rows.is_null(r, c) ? std::string("NULL") : std::string(rows.get(r, c)));
    return out;
  };
  // The column without a declared type holds integers, text and a real: text.
  EXPECT_EQ(row(0), "-9223372036854775808|0.1|1.500|tab\there|00ff|2024-02-29|2024-01-05 10:20:30.123456|true|42");
  EXPECT_EQ(row(1), "9223372036854775807|1e+300|-0.125|line\none\\back||2023-02-25|2023-11-14 22:13:20|false|text");
  EXPECT_EQ(row(2), "0|-2.5e-10|99.000|caf\xc3\xa9 \xf0\x9f\x98\x80|NULL|NULL|2023-02-24 18:00:00|false|NULL");
  EXPECT_EQ(row(3), "NULL|NULL|NULL||NULL|NULL|NULL|NULL|A");
  EXPECT_EQ(row(4), "7|3|0.000|\\N|5c4e|2024-01-01|2024-01-01 00:00:00|true|1.5");
  // Keys and indexes were built after the data, under their own names; no staging table is left.
  EXPECT_EQ(one(fmt::format("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '{}'", schema_)),
            "nasty_pkey,nasty_t");
  EXPECT_EQ(one(fmt::format("SELECT count(*) FROM pg_tables WHERE schemaname = '{}'", schema_)), "1");
  EXPECT_EQ(one(fmt::format("SELECT status FROM sluice_migrate.runs WHERE job = '{}'", job_)), "done");
  const RunResult v = run_sluice({"--batch", "migrate", "verify", "--config", cfg.string()}, env());
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
  EXPECT_NE(v.out.find("source and target hold the same rows"), std::string::npos) << v.out;

  // compare (schema only): the same; then a dropped column, an added one, a changed type and a
  // changed nullability, each named.
  const std::vector<std::string> compare = {"--batch", "migrate", "compare", "--config", cfg.string(), "--json"};
  RunResult c = run_sluice(compare, env());
  EXPECT_EQ(c.exit_code, 0) << c.err << c.out;
  conn_.exec(fmt::format("ALTER TABLE {0}.nasty DROP COLUMN loose, ADD COLUMN extra int, ALTER COLUMN d TYPE numeric(14,3), "
                         "ALTER COLUMN t SET NOT NULL",
                         schema_));
  c = run_sluice(compare, env());
  EXPECT_EQ(c.exit_code, 3) << c.err << c.out;
  const auto cj = nlohmann::json::parse(c.out);
  std::vector<std::string> found;
  for (const auto& d : cj["tables"][0]["differences"])
    found.push_back(d["column"].get<std::string>() + " " + d["problem"].get<std::string>() + " " + d["planned"].get<std::string>() +
                    " / " + d["actual"].get<std::string>());
  EXPECT_EQ(found, (std::vector<std::string>{"d type numeric(12,3) / numeric(14,3)", "t nullability NULL / NOT NULL",
                                             "loose missing in the target text / ", "extra only in the target  / integer"}));
}

TEST_F(MigrateRunTest, AKilledRunLeavesThePreviousTableAndResumesExactly) {
  // 1,200,000 rows in chunks of 30,000: 40 chunks for two workers.
  sqlite("CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount REAL);"
         "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1200000) "
         "INSERT INTO big SELECT n, printf('customer %d with a longer name to copy', n), n * 0.5 FROM g;");
  conn_.exec(fmt::format("CREATE SCHEMA {0}; CREATE TABLE {0}.big (id bigint, name text, amount double precision);"
                         "INSERT INTO {0}.big VALUES (-1, 'the previous table', 0)",
                         schema_));
  const auto cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, workers: 2, chunk_rows: 30000, tables: [big] }}\n"
                                      "  - {{ name: {}_other, source: legacy, schema: {}, tables: [big] }}\n",
                                      job_, schema_, job_, schema_));
  std::vector<std::string> args = {"--batch", "migrate", "run", job_, "--config", cfg.string()};
  const pid_t pid = spawn_sluice(args, env(), dir_.path());
  const std::string done_chunks = fmt::format(
      "SELECT count(*) FROM sluice_migrate.chunks c JOIN sluice_migrate.runs r USING (run_id) WHERE r.job = '{}' AND c.status = 'done'",
      job_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::stoi(one(done_chunks)) < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const int done_at_kill = std::stoi(one(done_chunks));
  ASSERT_GE(done_at_kill, 3);
  ASSERT_LT(done_at_kill, 40) << "the run finished before it was killed: nothing was tested";

  // The status says the run stopped half-way and what is left.
  const RunResult shown = run_sluice({"--batch", "migrate", "status", job_, "--config", cfg.string(), "--json"}, env());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const auto st = nlohmann::json::parse(shown.out);
  EXPECT_EQ(st["status"], "interrupted");
  EXPECT_EQ(st["tables"][0]["status"], "copying");
  EXPECT_EQ(st["tables"][0]["chunks_done"].get<int>() + st["tables"][0]["chunks_pending"].get<int>(), 40);
  EXPECT_GE(st["tables"][0]["chunks_done"].get<int>(), done_at_kill);

  // Until the run is complete, readers see the previous table.
  EXPECT_EQ(one(fmt::format("SELECT string_agg(name, ',') FROM {}.big", schema_)), "the previous table");
  // Another job writing the same table is refused while this one is unfinished, naming it.
  const RunResult other = run_sluice({"--batch", "migrate", "run", job_ + "_other", "--config", cfg.string()}, env());
  EXPECT_EQ(other.exit_code, 2) << other.out << other.err;
  EXPECT_NE(other.err.find(fmt::format("is being written by migration \"{}\"", job_)), std::string::npos) << other.err;

  const RunResult resumed = migrate(cfg, {job_});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  const auto j = nlohmann::json::parse(resumed.out);
  EXPECT_EQ(j["resumed"], true);
  EXPECT_GE(j["tables"][0]["chunks_done_before"].get<int>(), done_at_kill);
  EXPECT_EQ(j["tables"][0]["chunks"], 40);
  EXPECT_EQ(j["tables"][0]["copied_rows"], 1200000);
  // Every row once: the count, the distinct keys, and sums only the exact rows give.
  EXPECT_EQ(one(fmt::format("SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || sum(id) || ' ' || sum(amount) || ' ' || "
                            "sum(length(name)) FROM {}.big",
                            schema_)),
            fmt::format("1200000 1200000 {} {} {}", 1200000ull * 1200001 / 2, 1200000ull * 1200001 / 4.0,
                        [&] {
                          sqlite3_stmt* st = nullptr;
                          sqlite3_prepare_v2(db_, "SELECT sum(length(name)) FROM big", -1, &st, nullptr);
                          sqlite3_step(st);
                          const auto n = sqlite3_column_int64(st, 0);
                          sqlite3_finalize(st);
                          return n;
                        }()));
  EXPECT_EQ(one(fmt::format("SELECT count(*) FROM {}.big WHERE id = -1", schema_)), "0");  // swapped in whole

  // verify: the same rows; then one changed row and one missing row, named by range and key.
  const std::vector<std::string> verify = {"--batch", "migrate", "verify", job_, "--config", cfg.string(), "--json"};
  RunResult v = run_sluice(verify, env());
  ASSERT_EQ(v.exit_code, 0) << v.err << v.out;
  EXPECT_EQ(nlohmann::json::parse(v.out)["tables"][0]["ranges"], 40);
  conn_.exec(fmt::format("UPDATE {0}.big SET amount = amount + 0.5 WHERE id = 123456; DELETE FROM {0}.big WHERE id = 777777",
                         schema_));
  v = run_sluice(verify, env());
  EXPECT_EQ(v.exit_code, 3) << v.err << v.out;
  const auto vj = nlohmann::json::parse(v.out);
  const auto& differing = vj["tables"][0]["differing_ranges"];
  ASSERT_EQ(differing.size(), 2u) << v.out;
  EXPECT_EQ(differing[0]["only_in_source"], 1);
  EXPECT_EQ(differing[0]["only_in_target"], 1);
  EXPECT_EQ(differing[0]["keys"], nlohmann::json::array({"id=123456"}));
  EXPECT_EQ(differing[1]["only_in_source"], 1);
  EXPECT_EQ(differing[1]["only_in_target"], 0);
  EXPECT_EQ(differing[1]["keys"], nlohmann::json::array({"id=777777"}));
  // Once it is done, the other job may write the table.
  EXPECT_EQ(run_sluice({"--batch", "migrate", "run", job_ + "_other", "--config", cfg.string()}, env()).exit_code, 0);
}

TEST_F(MigrateRunTest, ARowThatDoesNotFitStopsItsTableOrGoesToTheRejectFile) {
  sqlite("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);"
         "INSERT INTO t VALUES (1, 10), (2, 'toto'), (3, 30);");
  const auto cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, tables: [t] }}\n", job_, schema_));
  const RunResult stopped = migrate(cfg);
  EXPECT_EQ(stopped.exit_code, 3) << stopped.err << stopped.out;
  const auto j = nlohmann::json::parse(stopped.out);
  EXPECT_EQ(j["tables"][0]["done"], false);
  EXPECT_NE(j["tables"][0]["error"].get<std::string>().find("t.n: text in an integer column\nDETAIL: rowid 2: \"toto\""),
            std::string::npos)
      << j.dump();
  EXPECT_EQ(one(fmt::format("SELECT to_regclass('{}.t') IS NULL", schema_)), "t");  // nothing half-copied is visible

  const auto rejects = dir_ / "rejects.tsv";
  const RunResult skipped = migrate(cfg, {"--on-error", "skip", "--reject-file", rejects.string()});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err << skipped.out;
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM {}.t", schema_)), "1:10,3:30");
  std::ifstream in(rejects);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "t\trowid 2\tn\ttext in an integer column\t\"toto\"\n");
}

TEST_F(MigrateRunTest, APostgreSqlTableArrivesIdenticalTypesAndAll) {
  const std::string source = postgres_source(
      "CREATE TABLE {0}.facts (id bigint PRIMARY KEY, amount numeric(20,4), at timestamptz, doc jsonb, raw bytea, "
      "key uuid, tags int[], note text, day date NOT NULL);"
      "CREATE INDEX facts_day ON {0}.facts (day);"
      "INSERT INTO {0}.facts SELECT g, g * 1.0001, timestamptz '2024-01-01 00:00:00.123456+02' + g * interval '1 minute', "
      "jsonb_build_object('n', g, 'k', 'v' || g), decode(lpad(to_hex(g), 8, '0'), 'hex'), md5(g::text)::uuid, "
      "ARRAY[g, -g], CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN E'tab\\there\nnew\\\\line' ELSE '' END, "
      "date '2024-01-01' + g % 31 FROM generate_series(1, 2500) g;"
      "CREATE TABLE {0}.skipped (x int);");
  const auto cfg = postgres_config(source, "workers: 2, chunk_rows: 300, tables: [\"*\", \"!skipped\"]");
  const RunResult r = migrate(cfg);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tables"].size(), 1u);
  EXPECT_EQ(j["tables"][0]["chunks"], 9);  // 2500 rows by id in about 300-row ranges
  const auto fingerprint = [&](const std::string& schema) {
    return one(fmt::format("SELECT count(*) || ' ' || md5(string_agg(f::text, '|' ORDER BY id)) FROM {}.facts f", schema));
  };
  EXPECT_EQ(fingerprint(schema_), fingerprint(source));
  EXPECT_EQ(one(fmt::format("SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM pg_attribute "
                            "WHERE attrelid = '{}.facts'::regclass AND attnum > 0",
                            schema_)),
            "bigint,numeric(20,4),timestamp with time zone,jsonb,bytea,uuid,integer[],text,date");
  EXPECT_EQ(one(fmt::format("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '{}'", schema_)),
            "facts_day,facts_pkey");
  EXPECT_EQ(one(fmt::format("SELECT to_regclass('{}.skipped') IS NULL", schema_)), "t");
  // verify settles every range by the digests both servers compute, whatever their sessions' time
  // zones (the source's connection has another one)...
  const RunResult v = run_sluice({"--batch", "migrate", "verify", "--config", cfg.string(), "--json"}, env());
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
  const auto vj = nlohmann::json::parse(v.out);
  EXPECT_EQ(vj["tables"][0]["source_rows"], 2500);
  EXPECT_EQ(vj["tables"][0]["ranges_by_fingerprint"], 9);
  // ... and where they differ, compares that range row by row and names the rows.
  conn_.exec(fmt::format("UPDATE {}.facts SET doc = '{{\"n\": 0}}' WHERE id = 1234", schema_));
  const RunResult changed = run_sluice({"--batch", "migrate", "verify", "--config", cfg.string(), "--json"}, env());
  EXPECT_EQ(changed.exit_code, 3) << changed.err << changed.out;
  const auto cj = nlohmann::json::parse(changed.out);
  EXPECT_EQ(cj["tables"][0]["ranges_by_fingerprint"], 8);
  ASSERT_EQ(cj["tables"][0]["differing_ranges"].size(), 1u);
  EXPECT_EQ(cj["tables"][0]["differing_ranges"][0]["keys"], nlohmann::json::array({"id=1234"}));
}

TEST_F(MigrateRunTest, AnAppendThatHappenedIsNotAppendedTwiceByAccident) {
  sqlite("CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT);"
         "INSERT INTO events VALUES (1, 'a'), (2, 'b');");
  conn_.exec(fmt::format("CREATE SCHEMA {0}; CREATE TABLE {0}.events (id bigint, kind text); INSERT INTO {0}.events VALUES (0, 'old')",
                         schema_));
  const auto cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, mode: append, tables: [events] }}\n", job_, schema_));
  ASSERT_EQ(migrate(cfg).exit_code, 0);
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || kind, ',' ORDER BY id) FROM {}.events", schema_)), "0old,1a,2b");
  const RunResult again = migrate(cfg);
  EXPECT_EQ(again.exit_code, 2) << again.out << again.err;
  EXPECT_NE(again.err.find(fmt::format("migration \"{}\" already appended events to {}.events", job_, schema_)), std::string::npos)
      << again.err;
  EXPECT_EQ(one(fmt::format("SELECT count(*) FROM {}.events", schema_)), "3");
  EXPECT_EQ(migrate(cfg, {"--append-again"}).exit_code, 0);
  EXPECT_EQ(one(fmt::format("SELECT count(*) FROM {}.events", schema_)), "5");
}

TEST_F(MigrateRunTest, ARunOfOneTableIsResumedByTheWholeJobAndAChangedTableIsNot) {
  sqlite("CREATE TABLE a (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO a VALUES (1, 1), (2, 'two');"
         "CREATE TABLE b (id INTEGER PRIMARY KEY, s TEXT); INSERT INTO b VALUES (1, 'x');");
  const std::string job = fmt::format("  - {{ name: {}, source: legacy, schema: {}, tables: [a, b] }}\n", job_, schema_);
  auto cfg = config(job);
  EXPECT_EQ(migrate(cfg, {"--table", "a"}).exit_code, 3);
  // The whole job resumes that run (b is copied, a still stops at its misfit).
  RunResult whole = migrate(cfg);
  EXPECT_EQ(whole.exit_code, 3) << whole.err << whole.out;
  auto j = nlohmann::json::parse(whole.out);
  EXPECT_EQ(j["resumed"], true);
  EXPECT_EQ(j["tables"][1]["done"], true);
  // a's columns change in the config (a cast): the begun copy of a is not resumed under it.
  cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, tables: [a, b, {{ table: a, cast: {{ n: text }} }}] }}\n",
                           job_, schema_));
  whole = migrate(cfg);
  EXPECT_EQ(whole.exit_code, 1) << whole.err << whole.out;
  EXPECT_NE(nlohmann::json::parse(whole.out)["tables"][0]["error"].get<std::string>().find("changed in the config"),
            std::string::npos)
      << whole.out;
  whole = migrate(cfg, {"--restart"});
  EXPECT_EQ(whole.exit_code, 0) << whole.err << whole.out;
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || ':' || n, ',' ORDER BY id) FROM {}.a", schema_)), "1:1,2:two");
}

// Incremental sync (docs/sync.md): the first run copies the table whole and leaves the mark; each
// later run upserts the window [mark, greatest watermark now], so rows that share the mark and came
// after the last run are taken, rows read again are not rewritten, and the target ends identical.
TEST_F(MigrateRunTest, ASyncTakesTheRowsThatShareTheMarkAndRewritesOnlyWhatChanged) {
  sqlite("CREATE TABLE orders (id INTEGER PRIMARY KEY, v TEXT, updated_at INTEGER);"
         "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 15000) "
         "INSERT INTO orders SELECT n, 'v' || n, CASE WHEN n <= 10000 THEN n % 50 + 1 ELSE 100 END FROM g;");
  const auto cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, chunk_rows: 4000, "
                                      "tables: [{{ table: orders, mode: incremental, watermark: [updated_at] }}] }}\n",
                                      job_, schema_));
  const RunResult plan = run_sluice({"migrate", "plan", "--config", cfg.string(), "--json"}, env());
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto pj = nlohmann::json::parse(plan.out)["tables"][0];
  EXPECT_EQ(pj["mode"], "incremental");
  EXPECT_EQ(pj["watermark"], nlohmann::json::array({"updated_at"}));
  EXPECT_EQ(pj["primary_key"], nlohmann::json::array({"id"}));
  EXPECT_NE(run_sluice({"migrate", "plan", "--config", cfg.string()}, env())
                .out.find("incremental: copied whole once, then the rows at or past the mark of updated_at upserted by key"),
            std::string::npos);
  const RunResult first = migrate(cfg);
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  const auto f = nlohmann::json::parse(first.out)["tables"][0];
  EXPECT_EQ(f["sync"], "initial");
  EXPECT_EQ(f["copied_rows"], 15000);
  EXPECT_EQ(f["mark"], nlohmann::json::array({"integer:100"}));
  EXPECT_EQ(one(fmt::format("SELECT count(*) FROM {}.orders", schema_)), "15000");

  // 5,000 more rows at the mark (10,000 share it, split across the two runs), ten rows changed.
  sqlite("WITH RECURSIVE g(n) AS (SELECT 15001 UNION ALL SELECT n + 1 FROM g WHERE n < 20000) "
         "INSERT INTO orders SELECT n, 'v' || n, 100 FROM g;"
         "UPDATE orders SET v = 'changed', updated_at = 101 WHERE id IN (5, 500, 5000, 9000, 10001, 12000, 14000, 15000, 16000, 17000);");
  const std::string untouched = one(fmt::format("SELECT xmin FROM {}.orders WHERE id = 13000", schema_));
  const RunResult dry = run_sluice({"--batch", "migrate", "run", "--dry-run", "--config", cfg.string()}, env());
  ASSERT_EQ(dry.exit_code, 0) << dry.err << dry.out;
  EXPECT_NE(dry.out.find("orders -> " + schema_ + ".orders: sync of 10,004 rows (watermark [\"integer:100\"] .. "
                         "[\"integer:101\"]): would insert 5,000, update 8, delete 0"),
            std::string::npos)
      << dry.out;
  const RunResult second = migrate(cfg);
  ASSERT_EQ(second.exit_code, 0) << second.err << second.out;
  const auto s2 = nlohmann::json::parse(second.out)["tables"][0];
  EXPECT_EQ(s2["sync"], "sync");
  EXPECT_EQ(s2["copied_rows"], 10004);  // the window: 9,994 rows at 100, 10 at 101
  EXPECT_EQ(s2["inserted_rows"], 5000);
  EXPECT_EQ(s2["updated_rows"], 8);     // (16000 and 17000 are new)
  EXPECT_EQ(s2["mark"], nlohmann::json::array({"integer:101"}));
  // A row read again with nothing changed is not rewritten.
  EXPECT_EQ(one(fmt::format("SELECT xmin FROM {}.orders WHERE id = 13000", schema_)), untouched);
  EXPECT_EQ(one(fmt::format("SELECT count(*) || ' ' || count(*) FILTER (WHERE v = 'changed') FROM {}.orders", schema_)), "20000 10");

  // A third run with nothing new reads the rows at the mark again and changes nothing.
  const RunResult third = migrate(cfg);
  ASSERT_EQ(third.exit_code, 0) << third.err << third.out;
  const auto s3 = nlohmann::json::parse(third.out)["tables"][0];
  EXPECT_EQ(s3["copied_rows"], 10);
  EXPECT_EQ(s3["inserted_rows"], 0);
  EXPECT_EQ(s3["updated_rows"], 0);
  const RunResult v = run_sluice({"--batch", "migrate", "verify", "--config", cfg.string(), "--json"}, env());
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;

  // status: the mark, and what each run did.
  const RunResult st = run_sluice({"migrate", "status", "--config", cfg.string(), "--json"}, env());
  ASSERT_EQ(st.exit_code, 0) << st.err;
  const auto sj = nlohmann::json::parse(st.out);
  EXPECT_EQ(sj["marks"][0]["mark"], nlohmann::json::array({"integer:101"}));
  EXPECT_EQ(sj["marks"][0]["watermark"], nlohmann::json::array({"updated_at"}));
  ASSERT_EQ(sj["syncs"].size(), 3u) << sj.dump();
  EXPECT_EQ(sj["syncs"][2]["kind"], "initial");
  EXPECT_EQ(sj["syncs"][1]["kind"], "sync");
  EXPECT_EQ(sj["syncs"][1]["read_rows"], 10004);
  EXPECT_EQ(sj["syncs"][1]["inserted_rows"], 5000);
  EXPECT_EQ(sj["syncs"][1]["updated_rows"], 8);
  const RunResult text = run_sluice({"migrate", "status", "--config", cfg.string()}, env());
  EXPECT_NE(text.out.find("orders: 10,004 read, 5,000 inserted, 8 updated, 0 deleted"), std::string::npos) << text.out;
}

TEST_F(MigrateRunTest, RowsWithoutAWatermarkAreIncludedByKeySkippedOrStopTheTable) {
  sqlite("CREATE TABLE inc (id INTEGER PRIMARY KEY, v TEXT, w INTEGER); CREATE TABLE skp (id INTEGER PRIMARY KEY, v TEXT, w INTEGER);"
         "CREATE TABLE fl (id INTEGER PRIMARY KEY, v TEXT, w INTEGER);"
         "INSERT INTO inc VALUES (1, 'a', 1), (2, 'b', NULL), (3, 'c', 2);"
         "INSERT INTO skp VALUES (1, 'a', 1), (2, 'b', NULL), (3, 'c', 2);"
         "INSERT INTO fl VALUES (1, 'a', 1), (2, 'b', NULL);");
  const auto cfg = config(fmt::format(
      "  - {{ name: {}, source: legacy, schema: {}, mode: incremental, tables: [{{ table: inc, watermark: [w] }}, "
      "{{ table: skp, watermark: [w], null_watermark: skip }}] }}\n"
      "  - {{ name: {}_other, source: legacy, schema: {}, tables: [{{ table: fl, mode: incremental, watermark: [w], "
      "null_watermark: fail }}] }}\n",
      job_, schema_, job_, schema_));
  ASSERT_EQ(migrate(cfg, {job_}).exit_code, 0);
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || v, ',' ORDER BY id) FROM {}.inc", schema_)), "1a,2b,3c");
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || v, ',' ORDER BY id) FROM {}.skp", schema_)), "1a,3c");
  // A row without a watermark changed, another added: include finds them by key, skip never.
  for (const char* t : {"inc", "skp"})
    sqlite(fmt::format("UPDATE {0} SET v = 'B' WHERE id = 2; INSERT INTO {0} VALUES (4, 'd', NULL);", t));
  const RunResult second = migrate(cfg, {job_});
  ASSERT_EQ(second.exit_code, 0) << second.err << second.out;
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || v, ',' ORDER BY id) FROM {}.inc", schema_)), "1a,2B,3c,4d");
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || v, ',' ORDER BY id) FROM {}.skp", schema_)), "1a,3c");
  const auto j = nlohmann::json::parse(second.out);
  EXPECT_EQ(j["tables"][0]["inserted_rows"], 1);
  EXPECT_EQ(j["tables"][0]["updated_rows"], 1);

  const RunResult failed = migrate(cfg, {job_ + "_other"});
  EXPECT_EQ(failed.exit_code, 3) << failed.err << failed.out;
  EXPECT_NE(failed.err.find("fl: 1 rows have no watermark (w NULL)"), std::string::npos) << failed.err;
  EXPECT_EQ(one(fmt::format("SELECT to_regclass('{}.fl') IS NULL", schema_)), "t");
}

// deletes: detect — rows gone from the source leave the target, wherever their keys were (past the
// source's greatest key too), from SQLite (keys read again) and PostgreSQL (ranges digested first).
TEST_F(MigrateRunTest, DeletesDetectRemovesTheRowsGoneFromTheSource) {
  sqlite("CREATE TABLE orders (id INTEGER PRIMARY KEY, v TEXT, w INTEGER);"
         "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000) INSERT INTO orders SELECT n, 'v' || n, n FROM g;");
  const std::string source = postgres_source(
      "CREATE TABLE {0}.orders (id bigint PRIMARY KEY, v text, w bigint);"
      "INSERT INTO {0}.orders SELECT g, 'v' || g, g FROM generate_series(1, 3000) g;");
  const std::string entry = "{ table: orders, mode: incremental, watermark: [w], deletes: detect }";
  const auto from_sqlite = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, chunk_rows: 1000, tables: [{}] }}\n",
                                              job_, schema_, entry));
  const auto from_pg = postgres_config(source, "chunk_rows: 1000, tables: [" + entry + "]");
  for (const auto& cfg : {from_sqlite, from_pg}) {
    SCOPED_TRACE(cfg.filename().string());
    conn_.exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_));
    forget(job_);
    const RunResult initial = migrate(cfg);
    ASSERT_EQ(initial.exit_code, 0) << initial.err << initial.out;
    const std::string gone = "DELETE FROM orders WHERE id IN (5, 1500) OR id >= 2990";
    if (cfg == from_sqlite) sqlite(gone + "; INSERT INTO orders VALUES (5000, 'new', 5000);");
    else conn_.exec(fmt::format("SET search_path = {0}; {1}; INSERT INTO orders VALUES (5000, 'new', 5000); RESET search_path", source, gone));
    // --dry-run says what the sync would do and writes nothing.
    const RunResult dry = migrate(cfg, {"--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err << dry.out;
    const auto d = nlohmann::json::parse(dry.out)["tables"][0];
    EXPECT_EQ(d["kind"], "sync");
    EXPECT_EQ(d["would_insert"], 1);
    EXPECT_EQ(d["would_update"], 0);
    EXPECT_EQ(d["would_delete"], 13);
    EXPECT_EQ(one(fmt::format("SELECT count(*) FROM {}.orders", schema_)), "3000");
    const RunResult r = migrate(cfg);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const auto t = nlohmann::json::parse(r.out)["tables"][0];
    EXPECT_EQ(t["deleted_rows"], 13);
    EXPECT_EQ(t["inserted_rows"], 1);
    EXPECT_EQ(one(fmt::format("SELECT count(*) || ' ' || max(id) || ' ' || count(*) FILTER (WHERE id IN (5, 1500)) FROM {}.orders", schema_)),
              "2988 5000 0");
    // Nothing more to delete the next time.
    const RunResult again = migrate(cfg);
    ASSERT_EQ(again.exit_code, 0) << again.err << again.out;
    EXPECT_EQ(nlohmann::json::parse(again.out)["tables"][0]["deleted_rows"], 0);
  }
}

// A sync killed with SIGKILL half-way: the mark stays where it was, the chunks merged stay merged,
// and the rerun finishes the same window: every change once, counted once.
TEST_F(MigrateRunTest, AKilledSyncKeepsItsMarkAndResumesTheSameWindow) {
  sqlite("CREATE TABLE orders (id INTEGER PRIMARY KEY, v TEXT, w INTEGER);"
         "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 400000) "
         "INSERT INTO orders SELECT n, 'value ' || n, 1 FROM g;");
  const auto cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, workers: 2, chunk_rows: 10000, "
                                      "tables: [{{ table: orders, mode: incremental, watermark: [w] }}] }}\n",
                                      job_, schema_));
  ASSERT_EQ(migrate(cfg).exit_code, 0);
  sqlite("UPDATE orders SET v = v || '!', w = 2 WHERE id % 2 = 0;"
         "WITH RECURSIVE g(n) AS (SELECT 400001 UNION ALL SELECT n + 1 FROM g WHERE n < 500000) "
         "INSERT INTO orders SELECT n, 'value ' || n, 2 FROM g;");
  const pid_t pid = spawn_sluice({"--batch", "migrate", "run", "--config", cfg.string()}, env(), dir_.path());
  const std::string done_chunks = fmt::format(
      "SELECT count(*) FROM sluice_migrate.chunks c JOIN sluice_migrate.tables t USING (run_id, source_table) "
      "JOIN sluice_migrate.runs r USING (run_id) WHERE r.job = '{}' AND t.mode = 'sync' AND c.status = 'done'",
      job_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::stoi(one(done_chunks)) < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const int done_at_kill = std::stoi(one(done_chunks));
  ASSERT_GE(done_at_kill, 3);
  ASSERT_LT(done_at_kill, 50) << "the sync finished before it was killed: nothing was tested";
  EXPECT_EQ(one(fmt::format("SELECT mark FROM sluice_migrate.marks WHERE job = '{}'", job_)), "[\"integer:1\"]");

  const RunResult resumed = migrate(cfg);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  const auto t = nlohmann::json::parse(resumed.out)["tables"][0];
  EXPECT_EQ(nlohmann::json::parse(resumed.out)["resumed"], true);
  EXPECT_GE(t["chunks_done_before"].get<int>(), done_at_kill);
  EXPECT_EQ(t["copied_rows"], 500000);  // the window: every row (at the mark 1, or 2)
  EXPECT_EQ(t["inserted_rows"], 100000);
  EXPECT_EQ(t["updated_rows"], 200000);
  EXPECT_EQ(t["mark"], nlohmann::json::array({"integer:2"}));
  EXPECT_EQ(one(fmt::format("SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || count(*) FILTER (WHERE v LIKE '%!') FROM {}.orders",
                            schema_)),
            "500000 500000 200000");
}

// mode: append with a watermark: a table without a key whose rows are only ever added gets the rows
// past the mark each run, none twice.
TEST_F(MigrateRunTest, AnAppendByWatermarkAddsOnlyTheRowsPastTheMark) {
  sqlite("CREATE TABLE log (at INTEGER, msg TEXT); INSERT INTO log VALUES (1, 'a'), (2, 'b'), (3, 'c');");
  const auto cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, "
                                      "tables: [{{ table: log, mode: append, watermark: [at] }}] }}\n",
                                      job_, schema_));
  ASSERT_EQ(migrate(cfg).exit_code, 0);
  sqlite("INSERT INTO log VALUES (4, 'd'), (5, 'e');");
  for (int run = 0; run < 2; ++run) {
    const RunResult r = migrate(cfg);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["tables"][0]["copied_rows"], run == 0 ? 2 : 0);
  }
  EXPECT_EQ(one(fmt::format("SELECT string_agg(at || msg, ',' ORDER BY at) FROM {}.log", schema_)), "1a,2b,3c,4d,5e");
}

// A mark counts rows of one watermark, filter and target: change one and the table is copied whole
// again (rows the new filter takes may lie anywhere below the old mark).
TEST_F(MigrateRunTest, AMarkIsForgottenWhenTheFilterChanges) {
  sqlite("CREATE TABLE t (id INTEGER PRIMARY KEY, kind TEXT, w INTEGER);"
         "INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'a', 3);");
  const auto with_where = [&](const std::string& where) {
    return config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, tables: [{{ table: t, mode: incremental, "
                              "watermark: [w]{} }}] }}\n",
                              job_, schema_, where));
  };
  ASSERT_EQ(migrate(with_where(", where: \"kind = 'a'\"")).exit_code, 0);
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id::text, ',' ORDER BY id) FROM {}.t", schema_)), "1,3");
  const RunResult r = migrate(with_where(""));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tables"][0]["sync"], "initial");
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id::text, ',' ORDER BY id) FROM {}.t", schema_)), "1,2,3");

  // Run-state tables an older sluice made (marks without their basis): a dry run, which creates
  // nothing, still reads them, and trusts no mark it cannot tie to its filter; a run adds the column.
  conn_.exec("ALTER TABLE sluice_migrate.marks DROP COLUMN basis");
  const RunResult dry = migrate(with_where(""), {"--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err << dry.out;
  EXPECT_EQ(nlohmann::json::parse(dry.out)["tables"][0]["kind"], "initial");
  ASSERT_EQ(migrate(with_where("")).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(migrate(with_where("")).out)["tables"][0]["sync"], "sync");
}

TEST_F(MigrateRunTest, IncrementalModeRefusesATableWithoutAKey) {
  sqlite("CREATE TABLE log (at INTEGER, msg TEXT); INSERT INTO log VALUES (1, 'x');");
  const auto cfg = config(fmt::format("  - {{ name: {}, source: legacy, schema: {}, "
                                      "tables: [{{ table: log, mode: incremental, watermark: [at] }}] }}\n",
                                      job_, schema_));
  const RunResult r = migrate(cfg);
  EXPECT_EQ(r.exit_code, 2) << r.err << r.out;
  EXPECT_NE(r.err.find("log: mode: incremental upserts rows by their key, and log has none"), std::string::npos) << r.err;
  EXPECT_EQ(one(fmt::format("SELECT to_regclass('{}.log') IS NULL", schema_)), "t");
}

// From PostgreSQL, by a timestamptz: a row changed while the run is between fixing its window and
// reading it is taken by the next run (its new watermark is past this window), not half-taken.
TEST_F(MigrateRunTest, ARowChangedDuringASyncIsTakenByTheNextRun) {
  const std::string source = postgres_source(
      "CREATE TABLE {0}.acct (id int PRIMARY KEY, balance numeric(12,2), updated_at timestamptz NOT NULL);"
      "INSERT INTO {0}.acct SELECT g, g, timestamptz '2024-01-01 00:00:00.000001+00' + g * interval '1 second' "
      "FROM generate_series(1, 1000) g;");
  const auto cfg = postgres_config(
      source, "chunk_rows: 300, tables: [{ table: acct, mode: incremental, watermark: [updated_at], lookback: 2s }]");
  ASSERT_EQ(migrate(cfg).exit_code, 0);
  conn_.exec(fmt::format("UPDATE {}.acct SET balance = -1, updated_at = timestamptz '2024-01-01 00:20:00+00' WHERE id = 7", source));

  const std::filesystem::path gate = dir_ / "gate";
  std::ofstream(gate).put('x');
  RunOptions o = env();
  o.env["SLUICE_TEST_PAUSE_AFTER_WINDOW"] = gate.string();
  std::thread changer([&] {
    for (int i = 0; i < 300 && !std::filesystem::exists(gate.string() + ".ready"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pg::Connection c = test_connection();
    c.exec(fmt::format("UPDATE {}.acct SET balance = -2, updated_at = timestamptz '2024-01-01 00:30:00+00' WHERE id = 8", source));
    std::filesystem::remove(gate);
  });
  const RunResult second = run_sluice({"--batch", "migrate", "run", "--config", cfg.string(), "--json"}, o);
  changer.join();
  ASSERT_EQ(second.exit_code, 0) << second.err << second.out;
  const auto s2 = nlohmann::json::parse(second.out)["tables"][0];
  // The window: the rows of the last 2 seconds up to the mark (lookback: ids 998..1000), through
  // id 7's new time; id 8 changed after the window was fixed.
  EXPECT_EQ(s2["copied_rows"], 4);
  EXPECT_EQ(s2["updated_rows"], 1);
  EXPECT_EQ(s2["mark"], nlohmann::json::array({"2024-01-01 00:20:00+00"}));
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || ':' || balance, ',' ORDER BY id) FROM {}.acct WHERE id IN (7, 8)", schema_)),
            "7:-1.00,8:8.00");
  const RunResult third = migrate(cfg);
  ASSERT_EQ(third.exit_code, 0) << third.err << third.out;
  EXPECT_EQ(one(fmt::format("SELECT string_agg(id || ':' || balance, ',' ORDER BY id) FROM {}.acct WHERE id IN (7, 8)", schema_)),
            "7:-1.00,8:-2.00");
  const RunResult v = run_sluice({"--batch", "migrate", "verify", "--config", cfg.string(), "--json"}, env());
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
}

}  // namespace
}  // namespace sluice::test
