// `sluice delete` previews, asks, deletes atomically and keeps the rows; `sluice restore JOB` puts
// them back so the table is identical to before (checksum), and refuses when the range was loaded
// again. A wrong confirmation, or --batch without --yes, deletes nothing.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "tests/support/warehouse_fixture.h"

namespace sluice::test {
namespace {

class DeleteRestore : public WarehouseFixture {
 protected:
  void TearDown() override {
    // The trash schema is shared by every test of the server: drop what this test put there.
    try {
      exec("DO $$ DECLARE r record; BEGIN "
           "IF to_regclass('sluice_trash.deletes') IS NOT NULL THEN "
           "FOR r IN SELECT backup_table FROM sluice_trash.deletes WHERE source_schema = '" + schema_ +
           "' AND backup_table IS NOT NULL LOOP EXECUTE format('DROP TABLE IF EXISTS sluice_trash.%I', r.backup_table); END LOOP; "
           "DELETE FROM sluice_trash.deletes WHERE source_schema = '" + schema_ + "'; END IF; END $$");
    } catch (...) {
    }
    WarehouseFixture::TearDown();
  }
  // January and February of the sample table, loaded by sluice (so the history has them).
  void load_two_months() {
    write_sample_config();
    for (int month : {1, 2}) {
      SampleDataOptions o;
      o.month = month;
      o.rows = month == 1 ? 3100 : 2900;
      o.seed = 10 + month;
      generate(o, month == 1 ? "factLending_20240101-20240131.tsv" : "factLending_20240201-20240229.tsv");
      const auto r = run({"--batch", "load", "--month", month == 1 ? "2024-01" : "2024-02", "--base-path", dir_.path().string(), "--create"});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
  }
  std::int64_t january() { return count("fact_lending", "recorddateid BETWEEN 20240101 AND 20240131"); }
};

TEST_F(DeleteRestore, DryRunPreviewsAndDeletesNothing) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-02-29", 10);
  exec("DELETE FROM " + schema_ + ".daily WHERE day = 20240103 AND asset > 4");
  const auto r = run({"--batch", "delete", "--month", "2024-01", "--dry-run", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["dry_run"], true);
  EXPECT_EQ(j["executed"], false);
  EXPECT_EQ(j["job_id"], 0);
  EXPECT_TRUE(j["restore_command"].is_null());
  ASSERT_EQ(j["tables"].size(), 1u);
  const auto& t = j["tables"][0];
  EXPECT_EQ(t["range_rows"], 304);
  EXPECT_EQ(t["table_rows"], 594);
  EXPECT_NEAR(t["share_percent"].get<double>(), 100.0 * 304 / 594, 1e-9);
  EXPECT_EQ(t["rows_per_day"].size(), 31u);
  EXPECT_EQ(t["rows_per_day"]["2024-01-03"], 4);
  EXPECT_EQ(t["rows_per_day"]["2024-01-31"], 10);
  EXPECT_EQ(t["rows_deleted"], 0);
  EXPECT_EQ(count("daily"), 594);

  const auto text = run({"--batch", "delete", "--month", "2024-01", "--dry-run"});
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("304            594  51.2%"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  2024-01-03   4\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Dry run: nothing was deleted."), std::string::npos) << text.out;
}

TEST_F(DeleteRestore, BatchWithoutYesRefuses) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 10);
  const auto r = run({"--batch", "delete", "--month", "2024-01"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("delete needs --yes"), std::string::npos) << r.err;
  EXPECT_EQ(count("daily"), 310);
}

TEST_F(DeleteRestore, AWrongConfirmationDeletesNothing) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 10);
  const std::string before = digest("daily");
  // The table and range exactly as shown: "daily 2024-01" is not "DAILY 2024-01".
  for (const char* typed : {"DAILY 2024-02\n", "DAILY\n", "yes\n", "OTHER 2024-01\n", "\n", "daily 2024-01\n"}) {
    const auto r = run_typed({"delete", "--month", "2024-01"}, typed);
    EXPECT_EQ(r.exit_code, 2) << typed << r.out;
    EXPECT_NE(r.out.find("Type \"DAILY 2024-01\" to confirm"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("the confirmation did not match: nothing was deleted"), std::string::npos) << r.out;
  }
  EXPECT_EQ(digest("daily"), before);
  EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sluice_trash' AND table_name LIKE 'daily__job%'"), "0");
}

TEST_F(DeleteRestore, CtrlCOrTheEndOfInputAtThePromptDeletesNothingAtOnce) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 10);
  const std::string before = digest("daily");
  // \x03 is Ctrl-C on the terminal (SIGINT), \x04 Ctrl-D (end of input); neither is followed by Enter.
  const auto interrupted = run_typed({"delete", "--month", "2024-01"}, "DAI\x03", "to confirm: ");
  EXPECT_EQ(interrupted.exit_code, 2) << interrupted.out;
  EXPECT_NE(interrupted.out.find("cancelled (Ctrl-C): nothing was deleted"), std::string::npos) << interrupted.out;
  const auto ended = run_typed({"delete", "--month", "2024-01"}, "\x04");
  EXPECT_EQ(ended.exit_code, 2) << ended.out;
  EXPECT_NE(ended.out.find("no confirmation (end of input): nothing was deleted"), std::string::npos) << ended.out;
  EXPECT_EQ(digest("daily"), before);
}

TEST_F(DeleteRestore, TheTypedTableAndRangeConfirm) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-02-29", 10);
  const auto r = run_typed({"delete", "--from", "2024-01-30", "--to", "2024-02-02"}, "DAILY   2024-01-30..2024-02-02\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Deleted 40 rows from 1 table"), std::string::npos) << r.out;
  EXPECT_EQ(count("daily"), 600 - 40);
  EXPECT_EQ(count("daily", "day BETWEEN 20240130 AND 20240202"), 0);
}

TEST_F(DeleteRestore, DeleteThenRestoreGivesTheSameTable) {
  load_two_months();
  const std::string before = digest("fact_lending");
  const auto r = run({"--batch", "delete", "--month", "2024-01", "--yes", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = json_of(r);
  const std::int64_t job = j["job_id"];
  EXPECT_EQ(j["executed"], true);
  EXPECT_EQ(j["rows_deleted"], 3100);
  EXPECT_EQ(j["restore_command"], "sluice restore " + std::to_string(job));
  const std::string backup = "fact_lending__job" + std::to_string(job);
  EXPECT_EQ(j["tables"][0]["backup"], "sluice_trash." + backup);
  EXPECT_EQ(january(), 0);
  EXPECT_EQ(count("fact_lending"), 2900);
  EXPECT_EQ(scalar("SELECT count(*) FROM sluice_trash." + backup), "3100");
  EXPECT_EQ(scalar("SELECT rows_deleted || ' ' || date_from || ' ' || date_to || ' ' || (restored_at IS NULL) FROM sluice_trash.deletes "
                   "WHERE job_id = " + std::to_string(job) + " AND source_schema = '" + schema_ + "'"),
            "3100 2024-01-01 2024-01-31 true");
  EXPECT_EQ(scalar("SELECT operation || ' ' || rows_deleted || ' ' || job_id FROM " + schema_ +
                   ".sluice_load_history WHERE operation <> 'load'"),
            "delete 3100 " + std::to_string(job));
  // February is untouched and still agrees with its history.
  EXPECT_EQ(run({"--batch", "validate", "--month", "2024-02"}).exit_code, 0);

  const auto back = run({"--batch", "restore", std::to_string(job), "--format", "json"});
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  const auto b = json_of(back);
  EXPECT_EQ(b["delete_job"], job);
  EXPECT_EQ(b["executed"], true);
  EXPECT_EQ(b["tables"][0]["rows_restored"], 3100);
  EXPECT_EQ(b["tables"][0]["from"], "2024-01-01");
  EXPECT_EQ(digest("fact_lending"), before);
  EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sluice_trash' AND table_name = '" + backup + "'"), "0");
  EXPECT_EQ(scalar("SELECT (restored_at IS NOT NULL) || ' ' || restore_job_id FROM sluice_trash.deletes WHERE job_id = " +
                   std::to_string(job) + " AND source_schema = '" + schema_ + "'"),
            "true " + b["job_id"].dump());
  // The history agrees again: the delete no longer counts.
  const auto v = run({"--batch", "validate", "--month", "2024-01", "--format", "json"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(json_of(v)["tables"][0]["history"]["expected_rows"], 3100);

  const auto again = run({"--batch", "restore", std::to_string(job)});
  EXPECT_EQ(again.exit_code, 2) << again.out << again.err;
  EXPECT_NE(again.err.find("were restored already"), std::string::npos) << again.err;
  EXPECT_EQ(digest("fact_lending"), before);
}

TEST_F(DeleteRestore, ADeletedMonthCanBeLoadedAgainAndThenRestoreRefuses) {
  load_two_months();
  const auto r = run({"--batch", "delete", "--table", "fact_lending", "--month", "2024-01", "--yes", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string job = json_of(r)["job_id"].dump();
  // The same file loads again without --replace: its rows are gone.
  const auto reload = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string()});
  ASSERT_EQ(reload.exit_code, 0) << reload.out << reload.err;
  EXPECT_EQ(january(), 3100);
  EXPECT_EQ(run({"--batch", "validate", "--month", "2024-01"}).exit_code, 0);

  const auto back = run({"--batch", "restore", job});
  EXPECT_EQ(back.exit_code, 2) << back.out << back.err;
  EXPECT_NE(back.err.find("holds 3,100 rows in 2024-01-01..2024-01-31 again: restoring job " + job + " would double them"),
            std::string::npos) << back.err;
  EXPECT_NE(back.err.find("delete the range first"), std::string::npos) << back.err;
  EXPECT_EQ(january(), 3100);
  EXPECT_EQ(scalar("SELECT count(*) FROM sluice_trash.fact_lending__job" + job), "3100");
}

// `sluice deletes` (the menu's Restore list) says of each delete whether restore can put it back.
TEST_F(DeleteRestore, DeletesListsEachDeleteWithItsState) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-03-31", 10);
  std::vector<std::string> jobs;
  for (const char* month : {"2024-01", "2024-02", "2024-03"}) {
    const auto r = run({"--batch", "delete", "--month", month, "--yes", "--format", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    jobs.push_back(json_of(r)["job_id"].dump());
  }
  auto states = [&] {
    const auto r = run({"--batch", "deletes", "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::map<std::string, std::string> out;
    const auto listed = json_of(r);
    for (const auto& d : listed["deletes"]) out[d["job_id"].dump()] = d["state"].get<std::string>();
    return out;
  };
  EXPECT_EQ(states(), (std::map<std::string, std::string>{{jobs[0], "restorable"}, {jobs[1], "restorable"}, {jobs[2], "restorable"}}));

  // January holds a row again; February is put back; March's backup is dropped by hand.
  exec("INSERT INTO " + schema_ + ".daily (day, asset, amount) VALUES (20240115, 1, 1.5)");
  ASSERT_EQ(run({"--batch", "restore", jobs[1]}).exit_code, 0);
  exec("DROP TABLE sluice_trash.daily__job" + jobs[2]);
  EXPECT_EQ(states(), (std::map<std::string, std::string>{{jobs[0], "reloaded"}, {jobs[1], "restored"}, {jobs[2], "expired"}}));

  const auto r = run({"--batch", "deletes", "--format", "json"});
  const auto list = json_of(r)["deletes"];
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["job_id"].dump(), jobs[2]) << "newest first";
  const auto& january = list[2]["tables"][0];
  EXPECT_EQ(january["table"], "DAILY");
  EXPECT_EQ(january["from"], "2024-01-01");
  EXPECT_EQ(january["to"], "2024-01-31");
  EXPECT_EQ(january["rows_deleted"], 310);
  EXPECT_EQ(january["why"], "the range holds 1 row again: delete it first to restore");
  EXPECT_EQ(list[0]["tables"][0]["why"], "the backup sluice_trash.daily__job" + jobs[2] + " is gone");
  const auto text = run({"--batch", "deletes"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(std::regex_search(text.out, std::regex("\\n" + jobs[1] + " +restored +" + schema_ + "\\.daily "))) << text.out;
}

TEST_F(DeleteRestore, AllTablesInOneJobAndBackTogether) {
  write_config(daily_yaml("DAILY", "integer") + daily_yaml("OTHER", "date"));
  create_daily("daily", "integer", "2024-01-01", "2024-02-29", 10);
  create_daily("other", "date", "2024-01-15", "2024-02-15", 3);
  const std::string d0 = digest("daily"), o0 = digest("other");
  const auto r = run({"--batch", "delete", "--from", "2024-02-01", "--to", "2024-02-29", "--yes", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["tables"][0]["rows_deleted"], 290);
  EXPECT_EQ(j["tables"][1]["rows_deleted"], 45);
  EXPECT_EQ(count("daily"), 310);
  EXPECT_EQ(count("other"), 51);
  const auto dry = run({"--batch", "restore", j["job_id"].dump(), "--dry-run", "--format", "json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_EQ(json_of(dry)["tables"].size(), 2u);
  EXPECT_EQ(count("other"), 51);
  ASSERT_EQ(run({"--batch", "restore", j["job_id"].dump()}).exit_code, 0);
  EXPECT_EQ(digest("daily"), d0);
  EXPECT_EQ(digest("other"), o0);
}

TEST_F(DeleteRestore, AnotherMachinesJobWithTheSameIdIsLeftAlone) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 10);
  const auto r = run({"--batch", "delete", "--month", "2024-01", "--yes", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string job = json_of(r)["job_id"].dump();
  // Job ids come from each machine's own job store: someone else's delete job may have the same id.
  exec("INSERT INTO sluice_trash.deletes (job_id, source_schema, source_table, backup_table, date_from, date_to, rows_deleted) "
       "VALUES (" + job + ", '" + schema_ + "_elsewhere', 'daily', 'daily__job" + job + "_9', '2024-01-01', '2024-01-31', 5)");
  const auto back = run({"--batch", "restore", job, "--format", "json"});
  exec("DELETE FROM sluice_trash.deletes WHERE source_schema = '" + schema_ + "_elsewhere'");
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_EQ(json_of(back)["tables"].size(), 1u);
  EXPECT_EQ(count("daily"), 310);
}

TEST_F(DeleteRestore, NothingInTheRangeAndUnknownJobs) {
  write_config(daily_yaml("DAILY", "integer"));
  create_daily("daily", "integer", "2024-01-01", "2024-01-31", 10);
  const auto r = run({"--batch", "delete", "--month", "2023-12", "--yes"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Nothing to delete: no rows in 2023-12."), std::string::npos) << r.out;
  const auto u = run({"--batch", "restore", "987654"});
  EXPECT_EQ(u.exit_code, 2) << u.out << u.err;
  EXPECT_NE(u.err.find("no deleted rows of job 987654 to restore"), std::string::npos) << u.err;
  const auto no_range = run({"--batch", "delete", "--yes"});
  EXPECT_EQ(no_range.exit_code, 2);
  EXPECT_EQ(count("daily"), 310);
}

}  // namespace
}  // namespace sluice::test
