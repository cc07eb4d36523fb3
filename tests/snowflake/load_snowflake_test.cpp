// `sluice load` into Snowflake, end to end: the real binary, the SQL API emulator (executing on the
// test PostgreSQL) and the S3 emulator. Files are scanned once, staged as zstd parts while they are
// scanned, then loaded by one COPY INTO transaction; the tests check the rows against psql's own
// \copy of the same file, the stage (purged, or cleaned after a failure) and the emulators' logs.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "app/config.h"
#include "core/progress.h"
#include "jobs/job_store.h"
#include "loaders/snowflake/snowflake_target.h"
#include "operations/sample_data.h"
#include "operations/snowflake_resume_key.h"
#include "tests/support/emulator_process.h"
#include "tests/support/run_sluice.h"
#include "tests/support/snowflake_config.h"
#include "tests/support/snowflake_emulators.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_postgres.h"
#include "warehouse/postgres/connection.h"

namespace sluice::test {
namespace {

using nlohmann::json;
constexpr const char* kAkid = "AKIDLOADTEST";
constexpr const char* kSecret = "load/test/secret";

class LoadSnowflakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    emulators_ = new SnowflakeEmulators({kAkid, kSecret});
    key_ = &emulators_->key();
    s3_ = &emulators_->s3();
    sf_ = &emulators_->sql_api();
  }
  static void TearDownTestSuite() {
    delete emulators_;
    emulators_ = nullptr;
  }

  void SetUp() override {
    s3_->reset();
    sf_->reset();
    schema_ = create_snowflake_test_schema("SF");
    config_ = dir_.path() / "sluice.yaml";
    write_config("");
  }
  // The config: FACT_LENDING (the sample table, TSV) and `more_tables` (entries of `tables:`).
  void write_config(const std::string& more_tables) {
    const TableSpec spec = sample_table_spec("FACT_LENDING", "factLending_{date_range}.tsv", false);
    std::ofstream(config_) << snowflake_config_yaml({key_->private_key_file.string(), schema_, sf_->url(), s3_->url(), ""},
                                                    table_entry_yaml(spec, false) + more_tables);
  }
  void TearDown() override {
    try {
      test_connection().exec(fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE", schema_));
    } catch (...) {
    }
  }


  std::filesystem::path generate(SampleDataOptions o, const std::string& name) {
    NullProgress progress;
    const auto path = dir_.path() / name;
    generate_sample_data(path, o, progress);
    return path;
  }
  RunOptions env() const {
    RunOptions o;
    o.env = {{"XDG_STATE_HOME", (dir_.path() / "state").string()},
             {"XDG_DATA_HOME", (dir_.path() / "data").string()},
             {"XDG_CONFIG_HOME", (dir_.path() / "config").string()},
             {"AWS_ACCESS_KEY_ID", kAkid},
             {"AWS_SECRET_ACCESS_KEY", kSecret}};
    return o;
  }
  RunResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", config_.string(), "--progress", "none"});
    return run_sluice(args, env());
  }
  std::string scalar(const std::string& sql) {
    auto r = test_connection().query(sql);
    return r.rows() ? std::string(r.get(0, 0)) : "";
  }
  std::int64_t count(const std::string& table) {
    return std::stoll(scalar(fmt::format("SELECT count(*) FROM \"{}\".\"{}\"", schema_, table)));
  }
  std::string digest(const std::string& table) {
    return scalar(fmt::format("SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM \"{}\".\"{}\" t",
                              schema_, table));
  }
  // The reference: psql's own \copy of the file into a table of the same column types.
  std::string reference_digest(const std::filesystem::path& file) {
    test_connection().exec(fmt::format("CREATE TABLE \"{0}\".\"REF\" (LIKE \"{0}\".\"FACT_LENDING\")", schema_));
    const std::string cmd = fmt::format(
        "psql -X -q -v ON_ERROR_STOP=1 \"{}\" -c \"\\copy \\\"{}\\\".\\\"REF\\\" FROM '{}' WITH (FORMAT csv, "
        "DELIMITER E'\\t', NULL '')\"",
        TestPostgres::conninfo(), schema_, file.string());
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return digest("REF");
  }
  std::vector<std::string> staged_keys() {
    std::vector<std::string> out;
    const json log = s3_->control("GET", "uploads?bucket=stage");
    for (const auto& u : log["uploads"]) out.push_back("upload:" + u["key"].get<std::string>());
    // Objects: ask through a ListObjectsV2-equivalent of the store (the control endpoint lists
    // objects by trying each key the log saw being put).
    for (const auto& r : s3_->requests("op", "PutObject")) {
      long status = 0;
      s3_->control_bytes("object?bucket=stage&key=" + url_param(r["key"]), &status);
      if (status == 200) out.push_back(r["key"]);
    }
    return out;
  }
  // (ID, NOTE) of a table, by ID, read on the emulator's PostgreSQL: NULL stays apart from "".
  using Notes = std::vector<std::pair<std::int64_t, std::optional<std::string>>>;
  Notes notes(const std::string& table) {
    const auto r = test_connection().query(
        fmt::format("SELECT \"ID\", \"NOTE\" FROM \"{}\".\"{}\" ORDER BY 1", schema_, table));
    Notes out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.get_int(i, 0), r.get_optional(i, 1));
    return out;
  }
  // Starts `args` (a load), waits until `parts` of its PutObjects were stored, and kills it with
  // SIGKILL; returns the keys the stage holds from it.
  std::set<std::string> kill_load_after(const std::vector<std::string>& args, std::size_t parts) {
    s3_->faults(json::array({{{"op", "PutObject"}, {"action", "delay"}, {"delay_ms", 300}, {"count", -1}}}));
    const pid_t pid = spawn_sluice(args, env(), dir_.path());
    auto stored_puts = [&] {
      std::set<std::string> keys;
      for (const auto& r : s3_->requests("op", "PutObject"))
        if (r["status"] == 200) keys.insert(r["key"].get<std::string>());
      return keys;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (stored_puts().size() < parts && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // uploads the server was still taking
    s3_->faults(json::array());
    return stored_puts();
  }
  std::vector<std::string> submitted(const std::string& needle) {
    std::vector<std::string> out;
    for (const auto& r : sf_->requests("op", "submit"))
      if (r.contains("statement") && r["statement"].get<std::string>().find(needle) != std::string::npos)
        out.push_back(r["statement"]);
    return out;
  }

  static inline SnowflakeEmulators* emulators_ = nullptr;
  static inline TestKeyPair* key_ = nullptr;
  static inline EmulatorProcess* s3_ = nullptr;
  static inline EmulatorProcess* sf_ = nullptr;
  TempDir dir_{"sluice-sfload"};
  std::string schema_;
  std::filesystem::path config_;
};

TEST_F(LoadSnowflakeTest, StagesWhileScanningThenCopiesIntoOneTransaction) {
  SampleDataOptions o;
  o.rows = 30000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--create", "--chunk-mb", "1",
                           "--stage-part-mb", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  EXPECT_EQ(count("FACT_LENDING"), 30000);
  EXPECT_EQ(digest("FACT_LENDING"), reference_digest(file));

  // Staged as several parts while scanning, all under the job's prefix, then purged by COPY.
  const auto puts = s3_->requests("op", "PutObject");
  ASSERT_GE(puts.size(), 2u);
  for (const auto& p : puts) {
    EXPECT_EQ(p["auth"], "ok");
    EXPECT_TRUE(p["key"].get<std::string>().starts_with("sluice/")) << p["key"];
    EXPECT_TRUE(p["key"].get<std::string>().ends_with(".tsv.zst")) << p["key"];
  }
  EXPECT_TRUE(staged_keys().empty());
  // One transaction: BEGIN ... COPY INTO ... FILES = (...) ... COMMIT.
  const auto copies = submitted("COPY INTO");
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_TRUE(copies[0].starts_with("BEGIN;")) << copies[0];
  EXPECT_NE(copies[0].find("FILES = ('factLending_20240101-20240131_00000.tsv.zst'"), std::string::npos);
  EXPECT_NE(copies[0].find("ON_ERROR = ABORT_STATEMENT PURGE = TRUE"), std::string::npos);
  EXPECT_EQ(scalar(fmt::format("SELECT \"ROWS_LOADED\" FROM \"{}\".\"SLUICE_LOAD_HISTORY\"", schema_)), "30000");
  EXPECT_NE(r.out.find("loaded"), std::string::npos) << r.out;
}

TEST_F(LoadSnowflakeTest, TheLastPartsShrinkSoLittleIsLeftToUploadAfterTheScan) {
  // The file's size is known (plain file): toward its end the parts halve (stage_sink.h), so the
  // part uploaded after the scan ends is small, not up to a whole --stage-part-mb.
  SampleDataOptions o;
  o.rows = 30000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--create", "--chunk-mb", "1",
                           "--stage-part-mb", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("FACT_LENDING"), 30000);
  std::map<std::string, std::uint64_t> sizes;  // by part name: in file order
  for (const auto& p : s3_->requests("op", "PutObject")) sizes[p["key"]] = p["bytes"].get<std::uint64_t>();
  ASSERT_GE(sizes.size(), 3u);
  const std::uint64_t first = sizes.begin()->second, last = sizes.rbegin()->second;
  EXPECT_GE(first, 1u << 20);      // whole parts while much is still to come
  EXPECT_LT(last, first / 2);      // the tail is a fraction of a part
  EXPECT_GE(last, 100u << 10);     // but not a sliver per chunk: at least a quarter part, or the rest
}

TEST_F(LoadSnowflakeTest, AQcFailureLoadsNothingAndLeavesNothingStaged) {
  SampleDataOptions o;
  o.rows = 20000;
  o.bad_date_line = 15000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--create", "--chunk-mb", "1",
                           "--stage-part-mb", "1"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(":15000"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(count("FACT_LENDING"), 0);
  EXPECT_TRUE(submitted("COPY INTO").empty());
  EXPECT_TRUE(staged_keys().empty());  // parts staged before the bad chunk were removed
}

TEST_F(LoadSnowflakeTest, AMissingTableStagesNothingAndTheFileIsStillChecked) {
  SampleDataOptions o;
  o.rows = 20000;
  o.bad_date_line = 15000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--chunk-mb", "1", "--stage-part-mb", "1"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("does not exist"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find(":15000"), std::string::npos) << r.out << r.err;  // the QC report
  EXPECT_TRUE(s3_->requests("op", "PutObject").empty());
  EXPECT_TRUE(submitted("COPY INTO").empty());
}

TEST_F(LoadSnowflakeTest, WhileTheCopyRunsItsLineShowsTheStagedFilesAndTheTime) {
  SampleDataOptions o;
  o.rows = 3000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  // The warehouse takes 2.5 s over the COPY; sluice polls meanwhile.
  sf_->faults(json::array({{{"op", "execute"}, {"action", "delay"}, {"delay_ms", 2500}, {"match", "COPY INTO"}}}));
  const RunResult r = run_sluice(
      {"--config", config_.string(), "--progress", "json", "--batch", "load", "--files", file.string(), "--create"}, env());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<json> copy;
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);) {
    const json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("phase", "") == "copy into") copy.push_back(j);
  }
  ASSERT_GE(copy.size(), 4u) << r.err;  // begin, progress at least twice, end
  EXPECT_EQ(copy.front()["event"], "begin");
  EXPECT_NE(copy.front()["subject"].get<std::string>().find(": 1 staged file(s)"), std::string::npos) << copy.front();
  std::vector<double> elapsed;
  for (const auto& j : copy)
    if (j["event"] == "progress") elapsed.push_back(j["elapsed_s"].get<double>());
  ASSERT_GE(elapsed.size(), 2u) << r.err;
  EXPECT_TRUE(std::is_sorted(elapsed.begin(), elapsed.end()));
  EXPECT_GE(elapsed.back(), 1.0);
  EXPECT_EQ(copy.back()["event"], "end");
  EXPECT_EQ(copy.back()["ok"], true);
  EXPECT_GE(copy.back()["seconds"].get<double>(), 2.5);
}

TEST_F(LoadSnowflakeTest, AnotherExportOrTheCompressedFileOfALoadedMonthIsRefused) {
  SampleDataOptions o;
  o.rows = 3000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  const std::size_t puts = s3_->requests("op", "PutObject").size();

  // The same rows compressed: another name and size, the same month.
  ASSERT_EQ(std::system(("zstd -q -f " + file.string()).c_str()), 0);
  const RunResult zst = run({"--batch", "load", "--files", file.string() + ".zst"});
  EXPECT_EQ(zst.exit_code, 2) << zst.out << zst.err;
  EXPECT_NE(zst.out.find("already holds 3,000 rows in 2024-01-01..2024-01-31"), std::string::npos) << zst.out;
  EXPECT_NE(zst.out.find("load #1 (job "), std::string::npos) << zst.out;
  // Refused by the range before anything was staged.
  EXPECT_EQ(s3_->requests("op", "PutObject").size(), puts);
  // --append, and the contents are recognised after decompression (after the scan: what was
  // staged is removed again).
  const RunResult appended = run({"--batch", "load", "--files", file.string() + ".zst", "--append"});
  EXPECT_EQ(appended.exit_code, 2) << appended.out << appended.err;
  EXPECT_NE(appended.out.find("are already loaded"), std::string::npos) << appended.out;
  EXPECT_EQ(count("FACT_LENDING"), 3000);

  // Dropped outside sluice: the history no longer refuses it.
  test_connection().exec(fmt::format("DROP TABLE \"{}\".\"FACT_LENDING\"", schema_));
  const RunResult again = run({"--batch", "load", "--files", file.string(), "--create"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.err.find("holds no rows in 2024-01-01..2024-01-31 now"), std::string::npos) << again.err;
  EXPECT_EQ(count("FACT_LENDING"), 3000);
}

TEST_F(LoadSnowflakeTest, TheHistorySpellsChecksumsAsPostgreSqlAndAnOlderSpellingIsReadAgain) {
  SampleDataOptions o;
  o.rows = 1500;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const RunResult first = run({"--batch", "load", "--json", "--files", file.string(), "--create"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const std::string reported = json::parse(first.out)["files"][0]["checksum"];
  ASSERT_TRUE(reported.starts_with("xxh3:")) << reported;
  const std::string history = fmt::format("\"{}\".\"SLUICE_LOAD_HISTORY\"", schema_);
  EXPECT_EQ(scalar("SELECT \"FILE_CHECKSUM\" FROM " + history), reported);
  EXPECT_EQ(scalar("SELECT \"CONTENT_CHECKSUM\" FROM " + history), reported);

  // As an older sluice wrote it: bare hex. The next load brings it to the one spelling, so the
  // same contents (compressed, appended) are recognised.
  test_connection().exec("UPDATE " + history + " SET \"FILE_CHECKSUM\" = substr(\"FILE_CHECKSUM\", 6), "
                         "\"CONTENT_CHECKSUM\" = substr(\"CONTENT_CHECKSUM\", 6)");
  ASSERT_EQ(scalar("SELECT \"FILE_CHECKSUM\" FROM " + history), reported.substr(5));
  ASSERT_EQ(std::system(("zstd -q -f " + file.string()).c_str()), 0);
  const RunResult again = run({"--batch", "load", "--files", file.string() + ".zst", "--append"});
  EXPECT_EQ(again.exit_code, 2) << again.out << again.err;
  EXPECT_NE(again.out.find("are already loaded"), std::string::npos) << again.out;
  EXPECT_EQ(count("FACT_LENDING"), 1500);
  EXPECT_EQ(scalar("SELECT \"FILE_CHECKSUM\" FROM " + history), reported);
  EXPECT_EQ(scalar("SELECT \"CONTENT_CHECKSUM\" FROM " + history), reported);
}

TEST_F(LoadSnowflakeTest, ARefusedFileIsNotReadToItsEnd) {
  SampleDataOptions o;
  o.rows = 30000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_GT(std::filesystem::file_size(file), 3u << 20);  // several 1 MiB chunks
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  ASSERT_EQ(std::system(("zstd -q -f " + file.string()).c_str()), 0);
  const RunResult r = run({"--batch", "load", "--json", "--chunk-mb", "1", "--files", file.string() + ".zst"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const json j = json::parse(r.out);
  const auto& f = j["files"][0];
  EXPECT_EQ(f["status"], "refused") << f.dump(2);
  // The table check settled at the first chunk and stopped the scan there.
  EXPECT_EQ(f["scanned"], false) << f.dump(2);
  EXPECT_NE(f["error"]["message"].get<std::string>().find("already holds 30,000 rows"), std::string::npos) << f.dump(2);
  EXPECT_EQ(count("FACT_LENDING"), 30000);
}

TEST_F(LoadSnowflakeTest, AReloadIsRefusedAndReplaceSwapsTheMonth) {
  SampleDataOptions o;
  o.rows = 5000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  const std::size_t puts = s3_->requests("op", "PutObject").size();
  const RunResult again = run({"--batch", "load", "--files", file.string()});
  EXPECT_EQ(again.exit_code, 2) << again.out << again.err;
  EXPECT_NE((again.out + again.err).find("already loaded"), std::string::npos) << again.out << again.err;
  EXPECT_EQ(count("FACT_LENDING"), 5000);
  // The check runs while the scan starts, but the first part waits for it: nothing was staged.
  EXPECT_EQ(s3_->requests("op", "PutObject").size(), puts);

  o.seed = 7;
  o.rows = 4000;
  generate(o, "factLending_20240101-20240131.tsv");
  const RunResult rep = run({"--batch", "load", "--files", file.string(), "--replace"});
  ASSERT_EQ(rep.exit_code, 0) << rep.out << rep.err;
  EXPECT_EQ(count("FACT_LENDING"), 4000);
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM \"{}\".\"SLUICE_LOAD_HISTORY\" WHERE \"REPLACED_BY\" IS "
                               "NOT NULL",
                               schema_)),
            "1");
  EXPECT_EQ(scalar(fmt::format("SELECT \"ROWS_DELETED\" FROM \"{}\".\"SLUICE_LOAD_HISTORY\" WHERE "
                               "\"REPLACED_BY\" IS NULL",
                               schema_)),
            "5000");
}

TEST_F(LoadSnowflakeTest, ALostCopyAnswerIsRetriedWithoutLoadingTwice) {
  SampleDataOptions o;
  o.rows = 3000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  sf_->faults(json::array({{{"op", "submit"}, {"action", "drop_after"}, {"match", "COPY INTO"}},
                           {{"op", "status"}, {"action", "error"}, {"status", 503}, {"count", 2}}}));
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("FACT_LENDING"), 3000);
  const auto copies = submitted("COPY INTO");
  EXPECT_EQ(copies.size(), 2u);  // sent again after the lost answer, with retry=true
  std::set<std::string> ids;
  for (const auto& r : sf_->requests("op", "submit"))
    if (r["statement"].get<std::string>().find("COPY INTO") != std::string::npos) ids.insert(r["request_id"]);
  ASSERT_EQ(ids.size(), 1u);  // the same request both times
  int runs = 0;
  const json all = sf_->control("GET", "statements");  // not in the for: it would dangle
  for (const auto& s : all["statements"])
    if (ids.count(s["requestId"].get<std::string>()) && !s["children"].empty())  // the request, not its parts
      runs += s["executions"].get<int>();
  EXPECT_EQ(runs, 1);
}

TEST_F(LoadSnowflakeTest, SigtermDuringUploadsRemovesWhatWasStaged) {
  SampleDataOptions o;
  o.rows = 60000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  s3_->faults(json::array({{{"op", "PutObject"}, {"action", "delay"}, {"delay_ms", 400}, {"count", -1}}}));
  RunOptions opts = env();
  const pid_t pid = spawn_sluice({"--config", config_.string(), "--progress", "none", "--batch", "load", "--files", file.string(),
                                  "--create", "--chunk-mb", "1", "--stage-part-mb", "1"},
                                 opts, dir_.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (s3_->requests("op", "PutObject").size() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_TRUE(submitted("COPY INTO").empty());
  EXPECT_TRUE(staged_keys().empty());
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM information_schema.tables WHERE table_schema = '{}' AND "
                               "table_name = 'FACT_LENDING'",
                               schema_)) == "0"
                ? 0
                : count("FACT_LENDING"),
            0);
}

TEST_F(LoadSnowflakeTest, KillDashNineDuringUploadsThenResumeUploadsNoPartTwice) {
  SampleDataOptions o;
  o.rows = 60000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const std::vector<std::string> args = {"--config", config_.string(), "--progress", "none", "--batch", "load",
                                         "--files", file.string(), "--create", "--chunk-mb", "1",
                                         "--stage-part-mb", "0.1", "--stage-uploads", "2"};
  const std::set<std::string> first = kill_load_after(args, 3);
  ASSERT_GE(first.size(), 3u);
  EXPECT_TRUE(submitted("COPY INTO").empty());

  s3_->reset();
  std::vector<std::string> again(args.begin() + 4, args.end());  // run() adds config and progress
  const RunResult r = run(again);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  {
    JobStore jobs(dir_.path() / "state" / "sluice" / "jobs.sqlite");
    const auto recent = jobs.recent_jobs(2);
    ASSERT_EQ(recent.size(), 2u);
    EXPECT_EQ(recent[1].error, "process ended unexpectedly");
    EXPECT_NE(recent[0].args_json.find(fmt::format("\"resumed_from\":{}", recent[1].id)), std::string::npos)
        << recent[0].args_json;
  }
  EXPECT_EQ(count("FACT_LENDING"), 60000);
  EXPECT_EQ(digest("FACT_LENDING"), reference_digest(file));
  std::set<std::string> second;
  for (const auto& p : s3_->requests("op", "PutObject")) second.insert(p["key"].get<std::string>());
  for (const auto& k : first) EXPECT_EQ(second.count(k), 0u) << k << " was uploaded twice";
  std::set<std::string> checked;
  for (const auto& h : s3_->requests("op", "HeadObject")) checked.insert(h["key"].get<std::string>());
  for (const auto& k : first) EXPECT_EQ(checked.count(k), 1u) << k << " was not verified on the stage";
  const std::string dir_of_first = first.begin()->substr(0, first.begin()->rfind('/'));
  for (const auto& k : second) EXPECT_TRUE(k.starts_with(dir_of_first)) << k;  // the same job's directory
  EXPECT_TRUE(staged_keys().empty());
}

// A table whose text column comes first (a staged file starts with a record's first value).
std::string notes_table_yaml(const std::string& table, const std::string& pattern, const std::string& format,
                             bool header) {
  return fmt::format("  - table: {}\n    file_pattern: \"{}\"\n    format: {}\n    header: {}\n    date_column: D\n"
                     "    columns:\n      - {{ name: NOTE, type: \"text\" }}\n"
                     "      - {{ name: ID, type: \"bigint\", required: true }}\n      - {{ name: D, type: \"date\" }}\n",
                     table, pattern, format, header);
}

TEST_F(LoadSnowflakeTest, EveryValueOfACsvSourceLoadsExactly) {
  // The values a staged file must enclose, and those it must leave alone. The first starts the
  // staged file: Snowflake skips a byte order mark there (SKIP_BYTE_ORDER_MARK).
  const std::vector<std::optional<std::string>> values = {
      "\xEF\xBB\xBF" "starts with a byte order mark", "tab\there", "new\nline", "carriage\rreturn",
      "crlf\r\nin a value", "back\\slash", "\\N", "\\t", "trailing backslash\\", "", std::nullopt,
      "say \"hi\"", "\"", "caf\u00e9 \u20ac \U0001F600 \u65e5\u672c", " spaces around ", "NULL", "\\"};
  write_config(notes_table_yaml("NOTES", "notes_{date_range}.csv", "csv", false));
  std::string csv;
  Notes expected;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto id = static_cast<std::int64_t>(i + 1);
    std::string note;  // CSV: NULL is the unquoted empty field, "" the empty string
    if (values[i]) {
      note = "\"";
      for (char c : *values[i]) note += c == '"' ? std::string("\"\"") : std::string(1, c);
      note += "\"";
    }
    csv += fmt::format("{},{},2024-01-01\n", note, id);
    expected.emplace_back(id, values[i]);
  }
  const auto file = dir_.write("notes_20240101-20240101.csv", csv);
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  EXPECT_EQ(notes("NOTES"), expected);
}

TEST_F(LoadSnowflakeTest, AOneColumnTablesNullAndEmptyStringLoadExactly) {
  // Its NULL would be a blank line, an error to Snowflake: each record gets a second, empty field.
  write_config("  - table: ONE\n    file_pattern: \"one_{date_range}.csv\"\n    format: csv\n    columns:\n"
               "      - { name: NOTE, type: \"text\" }\n");
  // Blank lines inside the data are rows (NULL here); those at the end of the file are not.
  const auto file = dir_.write("one_20240101-20240101.csv", "x\n\n\"\"\n\n\"tab\there\"\n\n");
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  const auto rows = test_connection().query(
      fmt::format("SELECT \"NOTE\" FROM \"{}\".\"ONE\" ORDER BY \"NOTE\" NULLS FIRST", schema_));
  std::vector<std::optional<std::string>> got;
  for (int i = 0; i < rows.rows(); ++i) got.push_back(rows.get_optional(i, 0));
  EXPECT_EQ(got, (std::vector<std::optional<std::string>>{std::nullopt, std::nullopt, "", "tab\there", "x"}));
}

TEST_F(LoadSnowflakeTest, PlainTsvRowsAreStagedWholeAndValuesThatMustBeEnclosedAreExact) {
  // A plain TSV (its rows staged as read, CopyFormat::snowflake_csv) of two 1 MiB chunks, so two
  // staged files. Most rows need no enclosing (backslashes included); quotes do (a raw CR would end
  // a TSV row); a CRLF row loses its CR. The rows near the chunk boundary start with a byte order mark, so
  // the second staged file starts with one, which Snowflake would drop were it not enclosed.
  write_config(notes_table_yaml("PLAIN", "plain_{date_range}.tsv", "tsv", true));
  std::string tsv = "NOTE\tID\tD\n";
  Notes expected;
  for (std::int64_t id = 1; tsv.size() < (1u << 20) + (256u << 10); ++id) {
    std::optional<std::string> note = fmt::format("row {} plain text of some length", id);
    switch (id % 6) {
      case 1: note = fmt::format("row {} back\\slash \\N \\t and a trailing backslash\\", id); break;
      case 2: note = fmt::format("row {} say \"hi\"", id); break;
      case 3: note = fmt::format("\"row {}\" starts with a quote", id); break;
      case 4: note = std::nullopt; break;
      default: break;
    }
    const std::size_t from_boundary =
        tsv.size() > (1u << 20) ? tsv.size() - (1u << 20) : (1u << 20) - tsv.size();
    if (from_boundary < (64u << 10)) note = "\xEF\xBB\xBF" + note.value_or(fmt::format("row {}", id));
    tsv += fmt::format("{}\t{}\t2024-01-01{}\n", note.value_or(""), id, id % 7 == 0 ? "\r" : "");
    expected.emplace_back(id, note);
  }
  const auto file = dir_.write("plain_20240101-20240101.tsv", tsv);
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--create", "--chunk-mb", "1",
                           "--stage-part-mb", "0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  EXPECT_EQ(s3_->requests("op", "PutObject").size(), 2u);  // one a chunk: the second starts at the boundary
  EXPECT_EQ(notes("PLAIN"), expected);
}

TEST_F(LoadSnowflakeTest, AKilledLoadThatStagedTheOlderFormatIsNotResumed) {
  // An older sluice staged PostgreSQL COPY text; its resume key named "copy-text-2". A job it left
  // (killed) must not be resumed by a load staging the CSV: its parts are left alone and the load
  // stages its own. The job is made here by killing a load and giving it the key the older sluice
  // computed for the same load.
  SampleDataOptions o;
  o.rows = 60000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const std::vector<std::string> args = {"--config", config_.string(), "--progress", "none", "--batch", "load",
                                         "--files", file.string(), "--create", "--chunk-mb", "1",
                                         "--stage-part-mb", "0.1"};
  const std::set<std::string> first = kill_load_after(args, 2);
  ASSERT_GE(first.size(), 2u);

  const Config config = load_config(config_);
  LoadRequest request;  // what the command line above asks for
  request.pipeline.chunk_bytes = std::size_t{1} << 20;
  request.staging.part_bytes = static_cast<std::uint64_t>(0.1 * (1 << 20));
  const TableSpec& table = config.tables.at(0);
  const std::vector<SelectedFile> files = {{file, &table, std::nullopt}};
  const ConnectionSpec& connection = config.connection_for(table);
  const std::string key = snowflake_resume_key(SnowflakeTarget::staged_format, connection, request, files);
  const std::string older = snowflake_resume_key("copy-text-2", connection, request, files);
  ASSERT_NE(key, older);
  const auto db = dir_.path() / "state" / "sluice" / "jobs.sqlite";
  std::int64_t killed = 0;
  {
    JobStore jobs(db);
    const auto recent = jobs.recent_jobs(1);
    ASSERT_EQ(recent.size(), 1u);
    killed = recent[0].id;
    // The key this sluice records is the one computed here, so `older` is the older sluice's.
    ASSERT_NE(recent[0].args_json.find("\"resume_key\":\"" + key + "\""), std::string::npos) << recent[0].args_json;
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  const std::string update =
      fmt::format("UPDATE jobs SET args_json = replace(args_json, '{}', '{}') WHERE id = {}", key, older, killed);
  EXPECT_EQ(sqlite3_exec(h, update.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);

  s3_->reset();
  std::vector<std::string> again(args.begin() + 4, args.end());  // run() adds config and progress
  const RunResult r = run(again);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  {
    JobStore jobs(db);
    const auto recent = jobs.recent_jobs(2);
    ASSERT_EQ(recent.size(), 2u);
    EXPECT_EQ(recent[1].id, killed);
    EXPECT_NE(recent[0].args_json.find("\"resumed_from\":0"), std::string::npos) << recent[0].args_json;
  }
  EXPECT_EQ(count("FACT_LENDING"), 60000);
  EXPECT_EQ(digest("FACT_LENDING"), reference_digest(file));
  const std::string killed_dir = first.begin()->substr(0, first.begin()->rfind('/'));
  for (const auto& h : s3_->requests("op", "HeadObject"))
    EXPECT_FALSE(h["key"].get<std::string>().starts_with(killed_dir)) << h["key"] << " was checked for resuming";
  for (const auto& p : s3_->requests("op", "PutObject"))
    EXPECT_FALSE(p["key"].get<std::string>().starts_with(killed_dir)) << p["key"];
}

}  // namespace
}  // namespace sluice::test
