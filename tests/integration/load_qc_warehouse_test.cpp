// load --qc warehouse: the rows are COPYed into a staging table inside the load's transaction, the
// validate checks run there, and only rows that pass reach the table; a failure rolls everything
// back and prints the findings like file QC's.
#include <gtest/gtest.h>

#include "tests/support/warehouse_fixture.h"

namespace sluice::test {
namespace {

class LoadQcWarehouse : public WarehouseFixture {
 protected:
  RunResult load(const std::string& month, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--batch", "load", "--month", month, "--base-path", dir_.path().string(), "--qc", "warehouse"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  static const nlohmann::json* finding(const nlohmann::json& file, const std::string& check) {
    for (const auto& f : file["qc_findings"])
      if (f["check"] == check) return &f;
    return nullptr;
  }
};

TEST_F(LoadQcWarehouse, ACleanMonthIsPublished) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 3100;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const auto r = load("2024-01", {"--create", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["committed"], true);
  EXPECT_EQ(j["files"][0]["rows_loaded"], 3100);
  EXPECT_TRUE(j["files"][0]["qc_findings"].empty()) << j.dump(2);
  EXPECT_EQ(count("fact_lending"), 3100);
  psql_copy(file.string(), "reference", "fact_lending");
  EXPECT_EQ(digest("fact_lending"), digest("reference"));
  EXPECT_EQ(scalar("SELECT qc_mode || ' ' || rows_loaded FROM " + schema_ + ".sluice_load_history"), "warehouse 3100");
}

TEST_F(LoadQcWarehouse, MissingFirstAndLastDaysStopThePublish) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 3000;
  o.skip_days = {1, 31};
  generate(o, "factLending_20240101-20240131.tsv");
  const auto r = load("2024-01", {"--create", "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto j = json_of(r);
  EXPECT_EQ(j["committed"], false);
  EXPECT_EQ(j["files"][0]["status"], "QC failed");
  EXPECT_EQ(j["files"][0]["rows_loaded"], 0);
  const auto* f = finding(j["files"][0], "missing_days");
  ASSERT_NE(f, nullptr) << j.dump(2);
  EXPECT_EQ((*f)["count"], 2);
  EXPECT_EQ((*f)["severity"], "error");
  EXPECT_EQ((*f)["details"], nlohmann::json::array({"2024-01-01 (leading)", "2024-01-31 (trailing)"}));
  EXPECT_EQ(j["files"][0]["qc_findings"].size(), 1u) << j.dump(2);
  EXPECT_FALSE(table_exists("fact_lending"));  // created in the transaction, rolled back with it

  const auto text = load("2024-01", {"--create"});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_NE(text.out.find("ERROR missing_days: 2 days of 2024-01-01..2024-01-31 have no rows (by fact_lending.recorddateid)"),
            std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Nothing was loaded"), std::string::npos) << text.out;
}

TEST_F(LoadQcWarehouse, DuplicateKeysInTheFileLeaveTheTableAsItWas) {
  write_sample_config();
  SampleDataOptions jan;
  jan.rows = 3100;
  generate(jan, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load("2024-01", {"--create"}).exit_code, 0);
  const std::string before = digest("fact_lending");
  SampleDataOptions feb;
  feb.month = 2;
  feb.rows = 2900;
  feb.duplicate_line = 1500;
  generate(feb, "factLending_20240201-20240229.tsv");
  const auto r = load("2024-02", {"--json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto j = json_of(r);
  const auto* f = finding(j["files"][0], "duplicate_keys");
  ASSERT_NE(f, nullptr) << j.dump(2);
  EXPECT_EQ((*f)["count"], 1);
  EXPECT_NE((*f)["message"].get<std::string>().find("1 key of (recorddateid, assetid) occur more than once"), std::string::npos)
      << (*f)["message"];
  EXPECT_EQ(digest("fact_lending"), before);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + schema_ + ".sluice_load_history"), "1");
}

TEST_F(LoadQcWarehouse, AFailedReplaceKeepsTheOldMonth) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 3100;
  generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"}).exit_code, 0);
  const std::string before = digest("fact_lending");
  SampleDataOptions bad = o;
  bad.seed = 5;
  bad.skip_days = {15};
  generate(bad, "factLending_20240101-20240131.tsv");
  const auto r = load("2024-01", {"--replace"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("2024-01-15 (interior)"), std::string::npos) << r.out;
  EXPECT_EQ(digest("fact_lending"), before);
}

TEST_F(LoadQcWarehouse, DryRunCannotStage) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 100;
  generate(o, "factLending_20240101-20240131.tsv");
  const auto r = load("2024-01", {"--dry-run"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--dry-run cannot use --qc warehouse"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice::test
