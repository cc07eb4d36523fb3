// `sluice delete` and `sluice restore` on Snowflake: the delete is one DELETE statement whose query
// id goes to the trash log (no backup table: Time Travel is the way back), and the restore inserts
// the range from `t BEFORE(STATEMENT => id)`. Delete then restore gives the same table; a restore
// run twice adds nothing; a wrong confirmation deletes nothing; past the Time Travel retention the
// restore fails with a clear error and changes nothing.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/support/snowflake_fixture.h"

namespace sluice::test {
namespace {

class DeleteRestoreSnowflake : public SnowflakeFixture {
 protected:
  // DAILY: January and February 2024, 10 rows a day (310 + 290).
  void SetUp() override {
    SnowflakeFixture::SetUp();
    write_config(daily_yaml("DAILY"));
    create_daily("DAILY", "integer", "2024-01-01", "2024-02-29", 10);
  }
  std::int64_t january() {
    return std::stoll(scalar(fmt::format("SELECT count(*) FROM {} WHERE \"DAY\" BETWEEN 20240101 AND 20240131", pg_table("DAILY"))));
  }
  std::string trash_log() const { return "\"SLUICE_TRASH\".\"DELETES\""; }
  // Deletes January with --yes; returns the job id.
  std::int64_t delete_january() {
    const auto r = run({"--batch", "delete", "--month", "2024-01", "--yes", "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
    return json_of(r)["job_id"].get<std::int64_t>();
  }
};

TEST_F(DeleteRestoreSnowflake, DeleteThenRestoreGivesTheSameTable) {
  const std::string before = digest("DAILY");
  const auto r = run({"--batch", "delete", "--month", "2024-01", "--yes", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << sf_->stderr_text();
  const auto j = json_of(r);
  const auto job = j["job_id"].get<std::int64_t>();
  EXPECT_EQ(j["executed"], true);
  EXPECT_EQ(j["rows_deleted"], 310);
  ASSERT_EQ(j["tables"].size(), 1u);
  EXPECT_EQ(j["tables"][0]["target"], schema_ + ".DAILY");
  EXPECT_EQ(january(), 0);
  EXPECT_EQ(count("DAILY"), 290);

  // One DELETE statement, its query id in the trash log; no backup table.
  const auto deletes = submitted("DELETE FROM");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_NE(deletes[0].find("\"DAY\" BETWEEN :"), std::string::npos) << deletes[0];
  const std::string statement_id =
      scalar(fmt::format("SELECT \"STATEMENT_ID\" FROM {} WHERE \"JOB_ID\" = {}", trash_log(), job));
  EXPECT_EQ(j["tables"][0]["backup"], "Time Travel, statement " + statement_id);
  bool found = false;
  const nlohmann::json statements = sf_->control("GET", "statements");
  for (const auto& s : statements["statements"])
    if (s["handle"] == statement_id) found = s["sql"].get<std::string>().starts_with("DELETE FROM");
  EXPECT_TRUE(found) << statement_id;
  EXPECT_EQ(scalar(fmt::format("SELECT \"BACKUP_TABLE\" IS NULL FROM {} WHERE \"JOB_ID\" = {}", trash_log(), job)), "t");
  EXPECT_EQ(scalar(fmt::format("SELECT \"ROWS_DELETED\" || ' ' || \"DATE_FROM\" || ' ' || \"DATE_TO\" FROM {} WHERE \"JOB_ID\" = {}",
                               trash_log(), job)),
            "310 2024-01-01 2024-01-31");
  // The load history records the delete.
  EXPECT_EQ(scalar(fmt::format("SELECT \"OPERATION\" || ' ' || \"ROWS_DELETED\" || ' ' || \"JOB_ID\" FROM {}",
                               pg_table("SLUICE_LOAD_HISTORY"))),
            fmt::format("delete 310 {}", job));

  const auto back = run({"--batch", "restore", std::to_string(job), "--format", "json"});
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err << sf_->stderr_text();
  const auto b = json_of(back);
  EXPECT_EQ(b["executed"], true);
  EXPECT_EQ(b["tables"][0]["rows_restored"], 310);
  EXPECT_EQ(digest("DAILY"), before);
  const auto inserts = submitted("BEFORE(STATEMENT => :");
  ASSERT_EQ(inserts.size(), 1u);
  EXPECT_TRUE(inserts[0].starts_with("INSERT INTO")) << inserts[0];
  EXPECT_EQ(scalar(fmt::format("SELECT \"RESTORED_AT\" IS NOT NULL FROM {} WHERE \"JOB_ID\" = {}", trash_log(), job)), "t");

  // A second restore adds nothing.
  const auto again = run({"--batch", "restore", std::to_string(job)});
  EXPECT_EQ(again.exit_code, 2) << again.out << again.err;
  EXPECT_NE(again.err.find("were restored already"), std::string::npos) << again.err;
  EXPECT_EQ(digest("DAILY"), before);
  EXPECT_EQ(run({"--batch", "validate", "--month", "2024-01"}).exit_code, 0);
}

TEST_F(DeleteRestoreSnowflake, DryRunAndAWrongConfirmationDeleteNothing) {
  const std::string before = digest("DAILY");
  const auto dry = run({"--batch", "delete", "--month", "2024-01", "--dry-run", "--format", "json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  const auto j = json_of(dry);
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["executed"], false);
  EXPECT_EQ(j["tables"][0]["range_rows"], 310);
  EXPECT_EQ(j["tables"][0]["table_rows"], 600);
  EXPECT_EQ(j["tables"][0]["rows_per_day"]["2024-01-03"], 10);

  const auto no_yes = run({"--batch", "delete", "--month", "2024-01"});
  EXPECT_EQ(no_yes.exit_code, 2) << no_yes.out << no_yes.err;

  const auto wrong = run_typed({"delete", "--month", "2024-01"}, "DAILY 2024-02\n");
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out;
  EXPECT_NE(wrong.out.find("Type \"DAILY 2024-01\" to confirm"), std::string::npos) << wrong.out;
  EXPECT_NE(wrong.out.find("the confirmation did not match: nothing was deleted"), std::string::npos) << wrong.out;
  EXPECT_EQ(digest("DAILY"), before);
  EXPECT_TRUE(submitted("DELETE FROM").empty());

  const auto typed = run_typed({"delete", "--month", "2024-01"}, "DAILY 2024-01\n");
  EXPECT_EQ(typed.exit_code, 0) << typed.out;
  EXPECT_EQ(january(), 0);
}

TEST_F(DeleteRestoreSnowflake, PastTheRetentionTheRestoreFailsClearlyAndChangesNothing) {
  const std::int64_t job = delete_january();
  const std::string after_delete = digest("DAILY");
  // `sluice deletes` (the menu's Restore list) tells within the retention from past it.
  auto state = [&] {
    const auto d = run({"--batch", "deletes", "--format", "json"});
    EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
    const auto list = nlohmann::json::parse(d.out, nullptr, false);
    return list.is_object() && list["deletes"].size() == 1 && list["deletes"][0]["job_id"] == job
               ? list["deletes"][0]["state"].get<std::string>() + ": " + list["deletes"][0]["tables"][0]["why"].get<std::string>()
               : d.out;
  };
  EXPECT_EQ(state().rfind("restorable: 310 rows kept in Time Travel, statement ", 0), 0u) << state();
  sf_->control("POST", "time_travel", nlohmann::json{{"retention_seconds", 0}});
  EXPECT_EQ(state(), "expired: past the table's Time Travel retention");
  const auto r = run({"--batch", "restore", std::to_string(job)});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(fmt::format("the rows job {} deleted from {}.DAILY are past the Time Travel retention", job, schema_)),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Time travel data is not available for table DAILY"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("DATA_RETENTION_TIME_IN_DAYS"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Nothing was restored."), std::string::npos) << r.err;
  EXPECT_EQ(digest("DAILY"), after_delete);
  EXPECT_EQ(scalar(fmt::format("SELECT \"RESTORED_AT\" IS NULL FROM {} WHERE \"JOB_ID\" = {}", trash_log(), job)), "t");
  EXPECT_EQ(scalar(fmt::format("SELECT count(*) FROM {} WHERE \"OPERATION\" = 'restore'", pg_table("SLUICE_LOAD_HISTORY"))), "0");
}

TEST_F(DeleteRestoreSnowflake, ADeletedMonthCanBeLoadedAgainWithoutReplace) {
  write_config(sample_yaml() + daily_yaml("DAILY"));
  SampleDataOptions o;
  o.rows = 3100;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  const auto del = run({"--batch", "delete", "--table", "FACT_LENDING", "--month", "2024-01", "--yes"});
  ASSERT_EQ(del.exit_code, 0) << del.out << del.err;
  EXPECT_EQ(count("FACT_LENDING"), 0);
  // Not a reload any more: the load it would repeat was deleted whole.
  const auto again = run({"--batch", "load", "--files", file.string()});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err << sf_->stderr_text();
  EXPECT_EQ(count("FACT_LENDING"), 3100);
  const auto v = run({"--batch", "validate", "--table", "FACT_LENDING", "--month", "2024-01"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(DeleteRestoreSnowflake, ARangeLoadedAgainIsNotRestoredOverIt) {
  const std::int64_t job = delete_january();
  exec(fmt::format("INSERT INTO {} VALUES (20240105, 1, 1.5, 'loaded again')", pg_table("DAILY")));
  const std::string refilled = digest("DAILY");
  const auto r = run({"--batch", "restore", std::to_string(job)});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(fmt::format("{}.DAILY holds 1 rows in 2024-01-01..2024-01-31 again: restoring job {} would double them",
                                   schema_, job)),
            std::string::npos)
      << r.err;
  EXPECT_EQ(digest("DAILY"), refilled);
  EXPECT_TRUE(submitted("BEFORE(STATEMENT =>").empty());
}

}  // namespace
}  // namespace sluice::test
