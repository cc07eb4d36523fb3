// `sluice load --qc warehouse` into Snowflake: the staged parts are copied into a transient staging
// table, the validate checks run there, and only when they pass does one multi-statement
// transaction move the rows over (with --replace: the old range deleted in the same transaction).
// A planted defect leaves the table as it was; the staging table is dropped either way.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "tests/support/snowflake_fixture.h"

namespace sluice::test {
namespace {

class LoadQcWarehouseSnowflake : public SnowflakeFixture {
 protected:
  RunResult load(const std::filesystem::path& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--batch", "load", "--files", file.string(), "--qc", "warehouse", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  // Tables whose name says they are a staging table, left in the schema.
  std::string staging_tables() {
    return scalar(fmt::format("SELECT count(*) FROM pg_tables WHERE schemaname = '{}' AND tablename LIKE '%\\_\\_SLUICE\\_STAGE\\_%'",
                              schema_));
  }
  static const nlohmann::json* finding(const nlohmann::json& file, const std::string& check) {
    for (const auto& f : file["qc_findings"])
      if (f["check"] == check) return &f;
    return nullptr;
  }
};

TEST_F(LoadQcWarehouseSnowflake, ACleanMonthIsPublishedFromTheStagingTable) {
  write_config(sample_yaml());
  SampleDataOptions o;
  o.rows = 3100;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const auto r = load(file, {"--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  const auto j = json_of(r);
  EXPECT_EQ(j["committed"], true);
  EXPECT_EQ(j["files"][0]["rows_loaded"], 3100);
  EXPECT_TRUE(j["files"][0]["qc_findings"].empty()) << j.dump(2);
  EXPECT_EQ(count("FACT_LENDING"), 3100);
  EXPECT_EQ(staging_tables(), "0");
  // COPY went into the staging table; the publish took the rows from there.
  const auto copies = submitted("COPY INTO");
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_NE(copies[0].find("FACT_LENDING__SLUICE_STAGE_"), std::string::npos) << copies[0];
  const auto publish = submitted("BEGIN;");
  ASSERT_EQ(publish.size(), 1u);
  EXPECT_NE(publish[0].find("\"UPDATEDAT\" FROM \"" + schema_ + "\".\"FACT_LENDING__SLUICE_STAGE_"), std::string::npos) << publish[0];
  EXPECT_EQ(publish[0].find("COPY INTO"), std::string::npos) << publish[0];
  EXPECT_EQ(scalar(fmt::format("SELECT \"QC_MODE\" || ' ' || \"ROWS_LOADED\" || ' ' || \"OPERATION\" FROM {}",
                               pg_table("SLUICE_LOAD_HISTORY"))),
            "warehouse 3100 load");
  EXPECT_EQ(run({"--batch", "validate", "--month", "2024-01"}).exit_code, 0);
}

TEST_F(LoadQcWarehouseSnowflake, APlantedDefectLeavesTheTableAsItWas) {
  write_config(sample_yaml());
  SampleDataOptions o;
  o.rows = 3100;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load(file, {"--create"}).exit_code, 0);
  const std::string before = digest("FACT_LENDING");

  // The same month again, now missing its first and last days, with --replace.
  o.rows = 3000;
  o.seed = 9;
  o.skip_days = {1, 31};
  generate(o, "factLending_20240101-20240131.tsv");
  const auto r = load(file, {"--replace"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err << sf_->stderr_text();
  const auto j = json_of(r);
  EXPECT_EQ(j["committed"], false);
  EXPECT_EQ(j["files"][0]["status"], "QC failed");
  EXPECT_EQ(j["files"][0]["rows_loaded"], 0);
  const auto* f = finding(j["files"][0], "missing_days");
  ASSERT_NE(f, nullptr) << j.dump(2);
  EXPECT_EQ((*f)["count"], 2);
  EXPECT_EQ((*f)["details"], nlohmann::json::array({"2024-01-01 (leading)", "2024-01-31 (trailing)"}));
  EXPECT_EQ(digest("FACT_LENDING"), before);
  EXPECT_EQ(staging_tables(), "0");
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {}", pg_table("SLUICE_LOAD_HISTORY"))), "1");

  // Clean data with --replace: the month is swapped in one transaction, the old load superseded.
  o.skip_days.clear();
  generate(o, "factLending_20240101-20240131.tsv");
  const auto ok = load(file, {"--replace"});
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err << sf_->stderr_text();
  EXPECT_EQ(count("FACT_LENDING"), 3000);
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {} WHERE \"REPLACED_BY\" IS NULL", pg_table("SLUICE_LOAD_HISTORY"))), "1");
  EXPECT_EQ(run({"--batch", "validate", "--month", "2024-01"}).exit_code, 0);
}

TEST_F(LoadQcWarehouseSnowflake, TwoMonthsOfOneTableAreCheckedApartAndPublishedTogether) {
  write_config(sample_yaml());
  SampleDataOptions o;
  o.rows = 3100;
  const auto jan = generate(o, "factLending_20240101-20240131.tsv");
  o.month = 2;
  o.rows = 2900;
  const auto feb = generate(o, "factLending_20240201-20240229.tsv");
  const auto r = run({"--batch", "load", "--files", jan.string() + "," + feb.string(), "--qc", "warehouse", "--create", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  const auto j = json_of(r);
  EXPECT_EQ(j["files"][0]["rows_loaded"], 3100);
  EXPECT_EQ(j["files"][1]["rows_loaded"], 2900);
  EXPECT_EQ(count("FACT_LENDING"), 6000);
  EXPECT_EQ(staging_tables(), "0");
  EXPECT_EQ(submitted("CREATE OR REPLACE TRANSIENT TABLE").size(), 2u);
  EXPECT_EQ(run({"--batch", "validate", "--from", "2024-01-01", "--to", "2024-02-29"}).exit_code, 0);
}

TEST_F(LoadQcWarehouseSnowflake, SigtermDuringTheChecksDropsTheStagingTable) {
  write_config(sample_yaml());
  SampleDataOptions o;
  o.rows = 3100;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  // The rows-per-day check on the staging table takes long: time to stop the load there.
  sf_->faults(nlohmann::json::array({{{"op", "execute"}, {"action", "delay"}, {"delay_ms", 20000}, {"match", "GROUP BY 1"}}}));
  RunOptions opts;
  opts.env = {{"XDG_STATE_HOME", (dir_.path() / "state").string()}, {"AWS_ACCESS_KEY_ID", "AKIDSFWHTEST"},
              {"AWS_SECRET_ACCESS_KEY", "sfwh/test/secret"}};
  const pid_t pid = spawn_sluice({"--config", config_.string(), "--progress", "none", "--batch", "load", "--files", file.string(),
                                  "--qc", "warehouse", "--create"},
                                 opts, dir_.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (submitted("GROUP BY 1").empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_FALSE(submitted("GROUP BY 1").empty());
  EXPECT_EQ(staging_tables(), "1");
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_EQ(staging_tables(), "0");
  EXPECT_EQ(count("FACT_LENDING"), 0);
  EXPECT_TRUE(submitted("BEGIN;").empty());
}

}  // namespace
}  // namespace sluice::test
