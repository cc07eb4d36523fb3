// What a new analyst hits on the first day, each as the README promises it: lists typed with
// spaces, a directory where a file goes, a dry run as strict as a run, what --qc none says, checks
// that could not run saying so, a restore given a load's job id, a truncated .gz.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/support/load_fixture.h"

namespace sluice::test {
namespace {

class FirstDay : public LoadFixture {
 protected:
  std::filesystem::path january(std::uint64_t rows = 400) {
    SampleDataOptions o;
    o.rows = rows;
    return generate(o, "factLending_20240101-20240131.tsv");
  }
  // A table without a date column, and its file.
  std::filesystem::path undated_table() {
    write_config(
        "  - table: CODES\n"
        "    file_pattern: \"codes.tsv\"\n"
        "    columns:\n"
        "      - { name: CODE, type: text }\n"
        "      - { name: LABEL, type: text }\n");
    const auto path = dir_ / "codes.tsv";
    std::ofstream(path) << "A\tAlpha\nB\tBeta\nC\tGamma\n";
    return path;
  }
};

TEST_F(FirstDay, AnalyzeReadsAFileTheConfigKnowsAsItsTableAndSaysWhich) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 500;
  o.ragged_line = 7;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const auto r = run({"analyze", file.string(), "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;  // the table's QC ran, and the ragged row fails it
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["table"], "FACT_LENDING");
  EXPECT_EQ(j["qc"]["table_checks"], true);
  EXPECT_NE(r.err.find("read as table FACT_LENDING (its file_pattern factLending_{date_range}.tsv matches"),
            std::string::npos) << r.err;
  // --sniff ignores the config.
  const auto sniffed = nlohmann::json::parse(run({"analyze", file.string(), "--json", "--sniff"}).out);
  EXPECT_TRUE(sniffed["table"].is_null());
}

TEST_F(FirstDay, FilesTypedWithSpacesAfterTheCommasAreFound) {
  write_sample_config();
  const auto jan = january(300);
  SampleDataOptions feb;
  feb.rows = 200;
  feb.month = 2;
  const auto febf = generate(feb, "factLending_20240201-20240229.tsv");
  const auto r = run({"--batch", "load", "--files", jan.string() + ", " + febf.string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("fact_lending"), 500);
}

TEST_F(FirstDay, ADirectoryWhereAFileGoesIsNamedAsADirectory) {
  write_sample_config();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--batch", "load", "--files", dir_.path().string()},
           {"analyze", dir_.path().string()},
           {"compress", dir_.path().string()},
           {"compare", dir_.path().string()},
       }) {
    const auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << r.out << r.err;
    EXPECT_NE(r.err.find(dir_.path().string() + " is a directory"), std::string::npos) << args[0] << ": " << r.err;
  }
}

TEST_F(FirstDay, ADryRunRefusesWhatARunWouldRefuse) {
  write_sample_config();
  january();
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--dry-run",
                      "--on-error", "skip"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--on-error skip needs --reject-file"), std::string::npos) << r.err;
}

TEST_F(FirstDay, QcNoneSaysWhatWasCheckedNotThatQcPassed) {
  write_sample_config();
  january();
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create", "--qc",
                      "none"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("QC       none (structure only"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("QC       passed"), std::string::npos) << r.out;
}

TEST_F(FirstDay, ValidateOfATableWithoutADateColumnSaysTheDayChecksWereSkipped) {
  const auto file = undated_table();
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  const auto r = run({"--batch", "validate", "--month", "2024-01", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool said = false;
  for (const auto& f : j["tables"][0]["findings"])
    if (f["check"] == "date_checks_skipped") {
      said = true;
      EXPECT_EQ(f["severity"], "warning");
      EXPECT_NE(f["message"].get<std::string>().find("has no date_column"), std::string::npos) << f.dump();
      EXPECT_NE(f["message"].get<std::string>().find("2024-01-01..2024-01-31"), std::string::npos) << f.dump();
    }
  EXPECT_TRUE(said) << r.out;
}

TEST_F(FirstDay, CompareOfATableWithoutADateColumnSaysItComparedTotals) {
  const auto file = undated_table();
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  const auto r = run({"compare", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("totals only"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("rows per day"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(run({"compare", file.string(), "--json"}).out);
  EXPECT_EQ(j["by_day"], false);
  EXPECT_EQ(j["file_rows"], 3);
  EXPECT_EQ(j["table_rows"], 3);
}

TEST_F(FirstDay, ANonEmptyTableWithoutADateColumnNeedsAppend) {
  const auto file = undated_table();
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  std::ofstream(dir_ / "codes.tsv") << "D\tDelta\n";
  const auto again = run({"--batch", "load", "--files", file.string()});
  EXPECT_EQ(again.exit_code, 2) << again.out << again.err;
  EXPECT_NE(again.out.find("already holds 3 rows (it has no date column)"), std::string::npos) << again.out;
  const auto appended = run({"--batch", "load", "--files", file.string(), "--append"});
  ASSERT_EQ(appended.exit_code, 0) << appended.out << appended.err;
  EXPECT_EQ(count("codes"), 4);
}

TEST_F(FirstDay, RestoreGivenALoadJobSaysItIsALoadJob) {
  write_sample_config();
  const auto file = january();
  const auto load = run({"--batch", "load", "--files", file.string(), "--create", "--json"});
  ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
  const auto job = nlohmann::json::parse(load.out)["job_id"].get<std::int64_t>();
  const auto r = run({"--batch", "restore", std::to_string(job)});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("job " + std::to_string(job) + " is a load job, not a delete"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sluice delete"), std::string::npos) << r.err;
}

TEST_F(FirstDay, ATruncatedGzipFailsWithExitOneAndLoadsNothing) {
  write_sample_config();
  const auto file = january(3000);
  ASSERT_EQ(std::system(("gzip -f " + file.string()).c_str()), 0);
  const auto gz = file.string() + ".gz";
  const auto size = std::filesystem::file_size(gz);
  std::filesystem::resize_file(gz, size / 2);
  const auto r = run({"--batch", "load", "--files", gz, "--create", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_NE(j["files"][0]["error"]["message"].get<std::string>().find("corrupt or truncated"), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("fact_lending"));
}

}  // namespace
}  // namespace sluice::test
