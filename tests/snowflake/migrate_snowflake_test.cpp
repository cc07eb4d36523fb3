// `sluice migrate` from Snowflake into PostgreSQL, through the binary: the SQL API emulator serves
// INFORMATION_SCHEMA, the unload (COPY INTO @stage, files on the S3 emulator) and the result
// partitions; the target is the test PostgreSQL. Every Snowflake type arrives value by value by
// both read paths, a value PostgreSQL would round is a finding, and a run stopped mid-table resumes
// at the snapshot it planned, whatever changed in Snowflake since.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "app/config.h"
#include "tests/support/snowflake_config.h"
#include "tests/support/snowflake_fixture.h"
#include "tests/support/test_postgres.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/snowflake/snowflake_warehouse.h"

namespace sluice::test {
namespace {

using nlohmann::json;

class MigrateSnowflakeTest : public SnowflakeFixture {
 protected:
  void SetUp() override {
    SnowflakeFixture::SetUp();
    target_ = unique_schema_or_table_name("sfmig");
    job_ = unique_schema_or_table_name("sfjob");
    write_migrations("");
    Config c = load_config(config_);
    snow_ = SnowflakeWarehouse::open(*c.connections.at("snow").snowflake());
  }
  void TearDown() override {
    try {
      pg::Connection conn = test_connection();
      for (const std::string& s : {target_, target_ + "_b"}) conn.exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", s));
      const std::string runs = "SELECT run_id FROM sluice_migrate.runs WHERE job LIKE $1";
      conn.query("DELETE FROM sluice_migrate.chunks WHERE run_id IN (" + runs + ")", {job_ + "%"});
      conn.query("DELETE FROM sluice_migrate.tables WHERE run_id IN (" + runs + ")", {job_ + "%"});
      conn.query("DELETE FROM sluice_migrate.runs WHERE job LIKE $1", {job_ + "%"});
      conn.query("DELETE FROM sluice_migrate.marks WHERE job LIKE $1", {job_ + "%"});
    } catch (...) {
    }
    SnowflakeFixture::TearDown();
  }
  // The config: the emulated Snowflake, the test server as `pg`, and `migrations` (entries).
  void write_migrations(const std::string& migrations) {
    std::string yaml =
        snowflake_config_yaml({key_->private_key_file.string(), schema_, sf_->url(), s3_->url(), ""}, "");
    yaml.replace(yaml.find("connections:\n"), 13,
                 fmt::format("connections:\n  pg: {{ type: postgres, dsn: \"{}\" }}\n", TestPostgres::conninfo()));
    yaml.replace(yaml.rfind("tables:\n"), 8, "tables: []\nmigrations:\n" + migrations);
    config_ = dir_.path() / "sluice.yaml";
    std::ofstream(config_) << yaml;
  }
  std::string migration(const std::string& name, const std::string& schema, const std::string& extra,
                        const std::string& tables) const {
    return fmt::format("  - {{ name: {}, source: snow, target: pg, schema: {}{}, tables: [{}] }}\n", name, schema, extra, tables);
  }
  void snow(const std::string& sql) { snow_->query(sql); }
  std::string sf_table(const std::string& name) const { return fmt::format("\"{}\".\"{}\"", schema_, name); }
  // Each row of `sql` on the target as "a|b|c" (NULL for NULL), in the UTC time zone.
  std::vector<std::string> target_rows(const std::string& sql) {
    pg::Connection conn = test_connection();
    conn.exec("SET TimeZone = 'UTC'");
    auto r = conn.query(sql);
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) {
      std::string row;
      for (int c = 0; c < r.columns(); ++c) row += (c ? "|" : "") + (r.is_null(i, c) ? std::string("NULL") : std::string(r.get(i, c)));
      out.push_back(row);
    }
    return out;
  }
  RunResult migrate(std::vector<std::string> args) {
    args.insert(args.begin(), {"--batch", "migrate"});
    return run(args);
  }
  // Every file an unload wrote is gone from the stage, strays included.
  void expect_stage_empty() {
    const json all = sf_->control("GET", "statements");
    int files = 0;
    for (const auto& st : all.at("statements")) {
      for (const char* field : {"unload_files", "unload_strays"}) {
        if (!st.contains(field)) continue;
        for (const auto& f : st.at(field)) {
          ++files;
          long status = 0;
          const std::string key = f.is_string() ? f.get<std::string>() : f.value("key", "");
          s3_->control_bytes("object?bucket=stage&key=" + key, &status);
          EXPECT_EQ(status, 404) << key << " is still on the stage";
        }
      }
    }
    EXPECT_GT(files, 0) << "no unload wrote a file";
  }

  std::string target_, job_;
  std::unique_ptr<SnowflakeWarehouse> snow_;
};

constexpr const char* kEveryType =
    "(\"ID\" NUMBER(38,0), \"N18\" NUMBER(18,0), \"BIGN\" NUMBER(38,0), \"DEC\" NUMBER(12,4), \"F\" FLOAT, "
    "\"V\" VARCHAR, \"V10\" VARCHAR(10), \"C\" CHAR(3), \"B\" BINARY, \"FLAG\" BOOLEAN, \"D\" DATE, \"T\" TIME, "
    "\"NTZ\" TIMESTAMP_NTZ, \"LTZ\" TIMESTAMP_LTZ, \"TZ\" TIMESTAMP_TZ, \"VAR\" VARIANT, \"OBJ\" OBJECT, "
    "\"ARR\" ARRAY)";

TEST_F(MigrateSnowflakeTest, EveryTypeArrivesExactlyThroughTheUnloadAndThroughResultPartitions) {
  snow(fmt::format("CREATE TABLE {} {}", sf_table("EVERY_TYPE"), kEveryType));
  snow(fmt::format(
      "INSERT INTO {} SELECT 1, -999999999999999999, 99999999999999999999999999999999999999, 12345678.1234, 1/3::FLOAT, "
      "'tab\\there\\nnew\\\\back\\rcr', '', 'abc', TO_BINARY('00FF5C'), TRUE, '2024-02-29'::DATE, '23:59:59.123456'::TIME, "
      "'2024-01-05 10:20:30.123456'::TIMESTAMP_NTZ, '2024-01-05 10:20:30.5 +02:00'::TIMESTAMP_LTZ, "
      "'2024-01-05 10:20:30 -08:00'::TIMESTAMP_TZ, PARSE_JSON('{{\"b\":[1,2.5,\"x\"],\"a\":null}}'), "
      "PARSE_JSON('{{\"k\":\"v\\u00e9\"}}'), PARSE_JSON('[1,null,\"t\\\\tx\"]')",
      sf_table("EVERY_TYPE")));
  snow(fmt::format("INSERT INTO {} (\"ID\", \"V\", \"V10\", \"VAR\") SELECT 2, '\\\\N', 'null', PARSE_JSON('null')", sf_table("EVERY_TYPE")));
  // OBJ: an escaped backslash before "u0000" is text, not the NUL escape jsonb refuses.
  snow(fmt::format("INSERT INTO {} (\"ID\", \"F\", \"V\", \"T\", \"NTZ\", \"VAR\", \"B\", \"OBJ\") SELECT 3, 'NaN'::FLOAT, "
                   "'caf\xc3\xa9 \xf0\x9f\x98\x80', '00:00:00'::TIME, '1999-12-31 23:59:59'::TIMESTAMP_NTZ, "
                   "PARSE_JSON('\"a string\"'), TO_BINARY(''), PARSE_JSON('{{\"p\":\"C:\\\\\\\\u0000\"}}')",
                   sf_table("EVERY_TYPE")));
  snow(fmt::format("INSERT INTO {} (\"ID\", \"F\", \"DEC\") SELECT 4, '-inf'::FLOAT, -0.0001", sf_table("EVERY_TYPE")));
  snow(fmt::format("INSERT INTO {} (\"ID\", \"F\") SELECT 5, '1.7976931348623157e308'::FLOAT", sf_table("EVERY_TYPE")));
  // Filler, so the result has more than one partition (the emulator's are 1000 rows).
  exec(fmt::format("INSERT INTO {} (\"ID\", \"V\", \"F\") SELECT g, 'filler ' || g, g / 3.0::float8 FROM generate_series(100, 1599) g",
                   sf_table("EVERY_TYPE")));

  const std::string tz_cast = ", cast: { tz: timestamptz }";
  write_migrations(migration(job_ + "_unload", target_, ", small_table_rows: 0", "{ table: every_type" + tz_cast + " }") +
                   migration(job_ + "_parts", target_ + "_b", ", small_table_rows: 1000000", "{ table: every_type" + tz_cast + " }") +
                   migration(job_ + "_nocast", target_, "", "every_type"));

  // The plan: each type's mapping; TIMESTAMP_TZ drops the offset, so it needs a cast.
  const RunResult plan = migrate({"plan", job_ + "_nocast", "--json"});
  ASSERT_EQ(plan.exit_code, 2) << plan.err << plan.out;
  const json p = json_of(plan);
  std::map<std::string, std::string> types;
  for (const auto& c : p["tables"][0]["columns"]) types[c["source"]] = c["target_type"].get<std::string>() + " " + c["fidelity"].get<std::string>();
  EXPECT_EQ(types["BIGN"], "numeric(38,0) exact");
  EXPECT_EQ(types["N18"], "bigint exact");
  EXPECT_EQ(types["DEC"], "numeric(12,4) exact");
  EXPECT_EQ(types["F"], "double precision exact");
  EXPECT_EQ(types["V10"], "text exact");
  EXPECT_EQ(types["B"], "bytea exact");
  EXPECT_EQ(types["NTZ"], "timestamp exact");
  EXPECT_EQ(types["LTZ"], "timestamptz exact");
  EXPECT_EQ(types["TZ"], "timestamptz lossy");
  EXPECT_EQ(types["VAR"], "jsonb widened");
  EXPECT_EQ(p["tables"][0]["rows"], 1505);
  const RunResult refused = migrate({"run", job_ + "_nocast"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err << refused.out;
  EXPECT_NE(refused.err.find("TZ TIMESTAMP_TZ -> timestamptz may lose values"), std::string::npos) << refused.err;

  for (const std::string& job : {job_ + "_unload", job_ + "_parts"}) {
    const RunResult r = migrate({"run", job, "--json"});
    ASSERT_EQ(r.exit_code, 0) << job << "\n" << r.err << r.out;
    EXPECT_EQ(json_of(r)["tables"][0]["copied_rows"], 1505) << job;
  }
  // Through the unload: files listed by the unload only, every one removed afterwards.
  EXPECT_EQ(submitted("COPY INTO @").size(), 1u);
  expect_stage_empty();

  const std::string columns =
      "id, n18, bign, dec, f, v, v10, c, encode(b, 'hex'), flag, d, t, ntz, ltz, tz, var, obj, arr";
  const auto rows = target_rows(fmt::format("SELECT {} FROM {}.every_type WHERE id < 100 ORDER BY id", columns, target_));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0],
            "1|-999999999999999999|99999999999999999999999999999999999999|12345678.1234|0.3333333333333333|"
            "tab\there\nnew\\back\rcr||abc|00ff5c|t|2024-02-29|23:59:59.123456|2024-01-05 10:20:30.123456|"
            "2024-01-05 08:20:30.5+00|2024-01-05 18:20:30+00|{\"a\": null, \"b\": [1, 2.5, \"x\"]}|{\"k\": \"v\xc3\xa9\"}|"
            "[1, null, \"t\\tx\"]");
  EXPECT_EQ(rows[1], "2|NULL|NULL|NULL|NULL|\\N|null|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|null|NULL|NULL");
  EXPECT_EQ(rows[2], "3|NULL|NULL|NULL|NaN|caf\xc3\xa9 \xf0\x9f\x98\x80|NULL|NULL||NULL|NULL|00:00:00|1999-12-31 23:59:59|NULL|NULL|"
                     "\"a string\"|{\"p\": \"C:\\\\u0000\"}|NULL");
  EXPECT_EQ(rows[3], "4|NULL|NULL|-0.0001|-Infinity|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL");
  EXPECT_EQ(rows[4], "5|NULL|NULL|NULL|1.7976931348623157e+308|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL");
  // Every float bit for bit: the filler's thirds need 16 and 17 significant digits.
  EXPECT_EQ(target_rows(fmt::format("SELECT count(*) FROM {}.every_type WHERE id >= 100 AND f = id / 3.0::float8", target_)),
            std::vector<std::string>{"1500"});
  // The partitions' copy holds the same rows as the unload's, value for value.
  for (const auto& [a, b] : {std::pair{target_, target_ + "_b"}, std::pair{target_ + "_b", target_}})
    EXPECT_EQ(target_rows(fmt::format("SELECT count(*) FROM (SELECT {0} FROM {1}.every_type EXCEPT ALL SELECT {0} FROM {2}.every_type) d",
                                      columns, a, b)),
              std::vector<std::string>{"0"});
  const RunResult v = migrate({"verify", job_ + "_unload"});
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
}

TEST_F(MigrateSnowflakeTest, VerifySettlesRangesByFingerprintsBothEnginesComputeAndNamesTheRowsThatDiffer) {
  snow(fmt::format("CREATE TABLE {} (\"ID\" NUMBER(38,0), \"DEC\" NUMBER(12,4), \"F\" FLOAT, \"V\" VARCHAR, \"B\" BINARY, "
                   "\"FLAG\" BOOLEAN, \"D\" DATE, \"T\" TIME, \"NTZ\" TIMESTAMP_NTZ, \"LTZ\" TIMESTAMP_LTZ)",
                   sf_table("HASHED")));
  snow(fmt::format("INSERT INTO {} SELECT 1, -0.0001, -0.0::FLOAT, 'tab\\there\\nnew\\\\back', TO_BINARY('00FF5C'), FALSE, "
                   "'2024-02-29'::DATE, '23:59:59.123456'::TIME, '2024-01-05 10:20:30.000001'::TIMESTAMP_NTZ, "
                   "'2024-01-05 10:20:30.5 +02:00'::TIMESTAMP_LTZ",
                   sf_table("HASHED")));
  snow(fmt::format("INSERT INTO {} (\"ID\", \"F\", \"V\", \"B\") SELECT 2, 'NaN'::FLOAT, '', TO_BINARY('')", sf_table("HASHED")));
  snow(fmt::format("INSERT INTO {} (\"ID\", \"F\", \"V\") SELECT 3, '-inf'::FLOAT, 'caf\xc3\xa9 \xf0\x9f\x98\x80'", sf_table("HASHED")));
  snow(fmt::format("INSERT INTO {} (\"ID\", \"F\") SELECT 4, '5e-324'::FLOAT", sf_table("HASHED")));
  snow(fmt::format("INSERT INTO {} (\"ID\", \"F\") SELECT 5, '1e21'::FLOAT", sf_table("HASHED")));
  // (ID 6: every value NULL but the key.)
  snow(fmt::format("INSERT INTO {} (\"ID\") SELECT 6", sf_table("HASHED")));
  exec(fmt::format("INSERT INTO {} (\"ID\", \"DEC\", \"F\", \"V\", \"FLAG\", \"D\") SELECT g, g / 7.0, g / 3.0::float8 * 1e-5, "
                   "'row ' || g, g % 2 = 0, DATE '2000-01-01' + g FROM generate_series(100, 2099) g",
                   sf_table("HASHED")));
  write_migrations(migration(job_, target_, ", small_table_rows: 0, chunk_rows: 500", "{ table: hashed, chunk_by: id }"));
  const RunResult r = migrate({"run", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  ASSERT_EQ(json_of(r)["tables"][0]["copied_rows"], 2006);

  // Every range settled by the two engines' digests: nothing unloaded again.
  const std::size_t unloads = submitted("COPY INTO @").size();
  const RunResult v = migrate({"verify", "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.err << v.out;
  const json vj = json_of(v);
  EXPECT_EQ(vj["tables"][0]["ranges"], 5) << vj.dump();
  EXPECT_EQ(vj["tables"][0]["ranges_by_fingerprint"], 5) << vj.dump();
  EXPECT_EQ(submitted("COPY INTO @").size(), unloads);
  EXPECT_FALSE(submitted("MD5_NUMBER_LOWER64").empty());

  // One float one bit off, one character of text, one row gone, one time a microsecond late: the
  // ranges holding them differ and are compared row by row, which names the rows.
  pg::Connection conn = test_connection();
  conn.exec(fmt::format("UPDATE {}.hashed SET f = f * (1 + 2.3e-16) WHERE id = 1500", target_));
  conn.exec(fmt::format("UPDATE {}.hashed SET v = 'cafe \xf0\x9f\x98\x80' WHERE id = 3", target_));
  conn.exec(fmt::format("UPDATE {}.hashed SET t = t + interval '1 microsecond' WHERE id = 1", target_));
  conn.exec(fmt::format("DELETE FROM {}.hashed WHERE id = 2050", target_));
  ASSERT_EQ(target_rows(fmt::format("SELECT count(*) FROM {}.hashed WHERE id = 1500 AND f <> 1500 / 3.0::float8 * 1e-5", target_)),
            std::vector<std::string>{"1"});
  const RunResult changed = migrate({"verify", "--json"});
  EXPECT_EQ(changed.exit_code, 3) << changed.err << changed.out;
  const json cj = json_of(changed);
  std::set<std::string> keys;
  for (const auto& range : cj["tables"][0]["differing_ranges"])
    for (const auto& k : range["keys"]) keys.insert(k.get<std::string>());
  EXPECT_EQ(keys, (std::set<std::string>{"id=1", "id=3", "id=1500", "id=2050"})) << cj.dump();
  EXPECT_EQ(cj["tables"][0]["ranges_by_fingerprint"], 2) << cj.dump();
}

TEST_F(MigrateSnowflakeTest, ATimeWithNanosecondsIsAFindingUnlessTheColumnIsCast) {
  snow(fmt::format("CREATE TABLE {} (\"ID\" NUMBER(10,0), \"AT\" TIMESTAMP_NTZ(9), \"NOTE\" VARCHAR)", sf_table("EVENTS")));
  snow(fmt::format("INSERT INTO {} SELECT 1, '2024-01-01 00:00:00.123456'::TIMESTAMP_NTZ, 'micro'", sf_table("EVENTS")));
  snow(fmt::format("INSERT INTO {} SELECT 2, '2024-01-01 00:00:00.123456789'::TIMESTAMP_NTZ, 'nano'", sf_table("EVENTS")));
  snow(fmt::format("INSERT INTO {} SELECT 3, NULL, 'none'", sf_table("EVENTS")));
  write_migrations(migration(job_, target_, ", small_table_rows: 0", "{ table: events, chunk_by: id }") +
                   migration(job_ + "_cast", target_ + "_b", "", "{ table: events, cast: { at: timestamp } }"));

  const RunResult stopped = migrate({"run", job_});
  EXPECT_EQ(stopped.exit_code, 3) << stopped.err << stopped.out;
  const std::string report = stopped.out + stopped.err;
  EXPECT_NE(report.find("EVENTS.AT: nanoseconds"), std::string::npos) << report;
  EXPECT_NE(report.find("ID 2: 2024-01-01 00:00:00.123456789"), std::string::npos) << report;

  const auto rejects = dir_.path() / "rejects.tsv";
  const RunResult skipped = migrate({"run", job_, "--on-error", "skip", "--reject-file", rejects.string(), "--restart"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err << skipped.out;
  EXPECT_EQ(target_rows(fmt::format("SELECT id, at, note FROM {}.events ORDER BY id", target_)),
            (std::vector<std::string>{"1|2024-01-01 00:00:00.123456|micro", "3|NULL|none"}));
  std::ifstream in(rejects);
  const std::string rejected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(rejected.find("ID 2"), std::string::npos) << rejected;
  EXPECT_NE(rejected.find("123456789"), std::string::npos) << rejected;

  // Cast: the user takes PostgreSQL's rounding to microseconds.
  const RunResult cast = migrate({"run", job_ + "_cast"});
  ASSERT_EQ(cast.exit_code, 0) << cast.err << cast.out;
  EXPECT_EQ(target_rows(fmt::format("SELECT at FROM {}_b.events WHERE id = 2", target_)),
            std::vector<std::string>{"2024-01-01 00:00:00.123457"});
}

TEST_F(MigrateSnowflakeTest, AnInterruptedRunResumesAtTheSnapshotItPlannedWhateverChangedSince) {
  snow(fmt::format("CREATE TABLE {} (\"ID\" NUMBER(10,0), \"AMOUNT\" NUMBER(12,2), \"NOTE\" VARCHAR)", sf_table("FACTS")));
  exec(fmt::format("INSERT INTO {} SELECT g, g * 1.5, 'row ' || g FROM generate_series(1, 3000) g", sf_table("FACTS")));
  write_migrations(migration(job_, target_, ", small_table_rows: 0, chunk_rows: 500, workers: 1",
                             "{ table: facts, chunk_by: id }"));
  // The fourth of six chunks (ids 1501..2000) fails to unload: three are copied, then the run stops.
  sf_->faults(json::array({{{"op", "unload"}, {"action", "error"}, {"match", "BETWEEN 1501 AND"}}}));
  const RunResult first = migrate({"run", "--json"});
  EXPECT_NE(first.exit_code, 0) << first.out;
  const json status = json_of(migrate({"status", "--json"}));
  EXPECT_EQ(status["tables"][0]["chunks_done"], 3) << status.dump();

  // Meanwhile Snowflake changes: rows deleted, added and updated.
  snow(fmt::format("DELETE FROM {} WHERE \"ID\" > 2500", sf_table("FACTS")));
  snow(fmt::format("INSERT INTO {} SELECT 5000, 1, 'late'", sf_table("FACTS")));
  snow(fmt::format("UPDATE {} SET \"NOTE\" = 'changed' WHERE \"ID\" IN (10, 2000)", sf_table("FACTS")));

  const RunResult resumed = migrate({"run", "--json"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  const json j = json_of(resumed);
  EXPECT_EQ(j["tables"][0]["copied_rows"], 3000);
  EXPECT_EQ(j["tables"][0]["chunks_done_before"], 3);
  // The rows as they were when the run planned the table: nothing twice, nothing missing.
  EXPECT_EQ(target_rows(fmt::format("SELECT count(*), count(DISTINCT id), min(id), max(id), sum(amount), "
                                    "count(*) FILTER (WHERE note <> 'row ' || id) FROM {}.facts",
                                    target_)),
            std::vector<std::string>{"3000|3000|1|3000|6752250.00|0"});
  // Every read named the snapshot; the chunks done before were not unloaded again.
  for (const auto& st : submitted("COPY INTO @")) EXPECT_NE(st.find("AT(STATEMENT => '"), std::string::npos) << st;
  EXPECT_EQ(submitted("BETWEEN 1 AND 500").size(), 1u);
  // With more chunks left than workers, the next chunk's unload was submitted before the current
  // chunk's files were read (it runs while they are copied).
  double next_submitted = 0, current_read = 1e18;
  std::vector<std::string> current_files;
  const json statements = sf_->control("GET", "statements");  // not in the for: it would dangle
  for (const auto& st : statements.at("statements")) {
    const std::string sql = st.at("sql");
    if (sql.find("BETWEEN 2001 AND") != std::string::npos) next_submitted = st.at("created_on").get<double>() / 1000;
    if (sql.find("BETWEEN 1501 AND") != std::string::npos && st.at("status") == "success")
      for (const auto& f : st.at("unload_files")) current_files.push_back(f.is_string() ? f.get<std::string>() : f.value("key", ""));
  }
  for (const auto& r : s3_->requests("op", "GetObject"))
    for (const auto& f : current_files)
      if (r.value("key", "").find(f.substr(f.rfind('/') + 1)) != std::string::npos) current_read = std::min(current_read, r.at("time").get<double>());
  ASSERT_FALSE(current_files.empty()) << statements.dump();
  EXPECT_GT(next_submitted, 0);
  EXPECT_LT(next_submitted, current_read);
  expect_stage_empty();

  // verify compares with Snowflake as it is now: the rows changed, deleted and added since are
  // named by the column the table is cut by (Snowflake enforces no key), in any position of options.
  const RunResult v = run({"--json", "--batch", "migrate", "verify"});
  EXPECT_EQ(v.exit_code, 3) << v.err << v.out;
  const json vj = json_of(v);
  EXPECT_EQ(vj["same"], false);
  std::set<std::string> keys;
  for (const auto& range : vj["tables"][0]["differing_ranges"])
    for (const auto& k : range["keys"]) keys.insert(k.get<std::string>());
  EXPECT_TRUE(keys.count("id=10") && keys.count("id=2000") && keys.count("id=5000") && keys.count("id=2501")) << vj.dump();
}

// Incremental sync from Snowflake: the key declared in the config, the window read through the
// unload AT the run's snapshot, ties at the mark taken, a lookback lowering a nanosecond mark,
// deletes detected by the keys' digests, and the target ending identical (verify).
TEST_F(MigrateSnowflakeTest, AnIncrementalTableSyncsFromSnowflakeThroughTheUnloadAndThroughPartitions) {
  snow(fmt::format("CREATE TABLE {} (\"ID\" NUMBER(38,0), \"V\" VARCHAR, \"UPDATED_AT\" TIMESTAMP_NTZ)", sf_table("ORDERS")));
  exec(fmt::format("INSERT INTO {} SELECT g, 'v' || g, CASE WHEN g > 1500 THEN '2024-01-02 00:00:00.123456' "
                   "ELSE timestamp '2024-01-01 00:00:00' + g * interval '1 second' END FROM generate_series(1, 2000) g",
                   sf_table("ORDERS")));
  write_migrations(migration(job_, target_, ", small_table_rows: 0, chunk_rows: 500",
                             "{ table: orders, chunk_by: id, mode: incremental, watermark: [updated_at], primary_key: [id], "
                             "lookback: 2s, deletes: detect }"));
  const RunResult first = migrate({"run", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  const json f = json_of(first)["tables"][0];
  EXPECT_EQ(f["sync"], "initial");
  EXPECT_EQ(f["copied_rows"], 2000);
  EXPECT_EQ(f["mark"], json::array({"2024-01-02 00:00:00.123456000"}));

  // 300 rows at the mark, 5 changed past it, 2 deleted.
  exec(fmt::format("INSERT INTO {} SELECT g, 'v' || g, '2024-01-02 00:00:00.123456' FROM generate_series(2001, 2300) g", sf_table("ORDERS")));
  snow(fmt::format("UPDATE {} SET \"V\" = 'changed', \"UPDATED_AT\" = '2024-01-03 08:00:00.5'::TIMESTAMP_NTZ "
                   "WHERE \"ID\" IN (3, 600, 1200, 1600, 2100)",
                   sf_table("ORDERS")));
  snow(fmt::format("DELETE FROM {} WHERE \"ID\" IN (10, 1999)", sf_table("ORDERS")));
  const RunResult second = migrate({"run", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err << second.out;
  const json s2 = json_of(second)["tables"][0];
  EXPECT_EQ(s2["sync"], "sync");
  // The window [mark - 2 s, the changed rows' time]: 498 + 299 rows at the mark, 5 changed past it
  // (2100 among them, a new row: inserted, as the other 299).
  EXPECT_EQ(s2["copied_rows"], 802);
  EXPECT_EQ(s2["inserted_rows"], 300);
  EXPECT_EQ(s2["updated_rows"], 4);
  EXPECT_EQ(s2["deleted_rows"], 2);
  EXPECT_EQ(s2["mark"], json::array({"2024-01-03 08:00:00.500000000"}));
  bool lowered = false;
  for (const auto& st : submitted("COPY INTO @"))
    lowered = lowered || (st.find("'2024-01-02 00:00:00.123456000'::TIMESTAMP_NTZ(9)") == std::string::npos &&
                          st.find("'2024-01-01 23:59:58.123456000'::TIMESTAMP_NTZ(9)") != std::string::npos);
  EXPECT_TRUE(lowered) << "no unload read from the mark less the lookback";
  for (const auto& st : submitted("COPY INTO @")) EXPECT_NE(st.find("AT(STATEMENT => '"), std::string::npos) << st;
  EXPECT_EQ(target_rows(fmt::format("SELECT count(*), count(*) FILTER (WHERE v = 'changed'), max(updated_at) FROM {}.orders", target_)),
            std::vector<std::string>{"2298|5|2024-01-03 08:00:00.5"});
  const RunResult v = migrate({"verify", "--json"});
  EXPECT_EQ(v.exit_code, 0) << v.err << v.out;

  // The same through the SQL API's result partitions (a small table): the window's condition is
  // the same, nothing is unloaded.
  write_migrations(migration(job_ + "_parts", target_ + "_b", ", small_table_rows: 1000000",
                             "{ table: orders, chunk_by: id, mode: incremental, watermark: [updated_at], primary_key: [id], "
                             "lookback: 2s }"));
  const std::size_t unloads = submitted("COPY INTO @").size();
  ASSERT_EQ(migrate({"run", "--json"}).exit_code, 0);
  snow(fmt::format("UPDATE {} SET \"V\" = 'again', \"UPDATED_AT\" = '2024-01-04 00:00:00'::TIMESTAMP_NTZ WHERE \"ID\" = 5",
                   sf_table("ORDERS")));
  const RunResult parts = migrate({"run", "--json"});
  ASSERT_EQ(parts.exit_code, 0) << parts.err << parts.out;
  const json p2 = json_of(parts)["tables"][0];
  EXPECT_EQ(p2["sync"], "sync");
  EXPECT_EQ(p2["copied_rows"], 6);  // the 5 rows at the mark, and ID 5 past it
  EXPECT_EQ(p2["updated_rows"], 1);
  EXPECT_EQ(submitted("COPY INTO @").size(), unloads);
  EXPECT_EQ(target_rows(fmt::format("SELECT v FROM {}_b.orders WHERE id = 5", target_)), std::vector<std::string>{"again"});
}

}  // namespace
}  // namespace sluice::test
