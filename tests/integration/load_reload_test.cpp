// A month is in a table once. A load without --replace is refused when the table holds rows where
// the file's rows go, however the file is named or compressed; the history names what is there;
// --append is the explicit way to add to such rows; and a history whose rows are gone (the table
// dropped outside sluice) refuses nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/support/load_fixture.h"
#include "tests/support/test_postgres.h"

namespace sluice::test {
namespace {

class LoadReload : public LoadFixture {
 protected:
  void SetUp() override {
    LoadFixture::SetUp();
    write_sample_config();
  }
  std::filesystem::path month(std::uint64_t rows, std::uint64_t seed, const std::string& name) {
    SampleDataOptions o;
    o.rows = rows;
    o.seed = seed;
    return generate(o, name);
  }
  RunResult load_files(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--batch", "load", "--files", file, "--create"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  std::string history_rows() { return scalar("SELECT count(*) FROM " + schema_ + ".sluice_load_history"); }
};

TEST_F(LoadReload, AnotherExportOfALoadedMonthIsRefusedNamingTheRowsAndTheLoad) {
  const auto first = month(3000, 42, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load_files(first.string()).exit_code, 0);
  // Another export of January: other rows, other size, same name pattern.
  std::filesystem::remove(first);
  month(2500, 7, "factLending_20240101-20240131.tsv");
  const auto r = run({"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find(schema_ + ".fact_lending already holds 3,000 rows in 2024-01-01..2024-01-31"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("load #1 (job "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--append"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--replace"), std::string::npos) << r.out;
  EXPECT_EQ(count("fact_lending"), 3000);
  EXPECT_EQ(history_rows(), "1");
}

TEST_F(LoadReload, TheHistorySpellsChecksumsAsTheLoadReportsThem) {
  const auto plain = month(500, 5, "factLending_20240101-20240131.tsv");
  const auto r = load_files(plain.string(), {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string reported = nlohmann::json::parse(r.out)["files"][0]["checksum"];
  ASSERT_TRUE(reported.starts_with("xxh3:")) << reported;
  ASSERT_EQ(reported.size(), 5u + 16u) << reported;
  EXPECT_EQ(scalar("SELECT file_checksum FROM " + schema_ + ".sluice_load_history"), reported);
  // Not compressed: the contents are the stored bytes.
  EXPECT_EQ(scalar("SELECT content_checksum FROM " + schema_ + ".sluice_load_history"), reported);
}

TEST_F(LoadReload, TheSameMonthCompressedIsRefusedBeforeItIsRead) {
  const auto plain = month(2000, 42, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load_files(plain.string()).exit_code, 0);
  ASSERT_EQ(std::system(("zstd -q -f " + plain.string()).c_str()), 0);
  const auto r = load_files(plain.string() + ".zst", {"--json"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["files"][0]["status"], "refused");
  EXPECT_NE(j["files"][0]["error"]["message"].get<std::string>().find("already holds 2,000 rows"), std::string::npos) << r.out;
  // Refused before the scan: nothing was read.
  EXPECT_EQ(j["files"][0]["rows_in_file"], 0);
  EXPECT_EQ(count("fact_lending"), 2000);
}

TEST_F(LoadReload, AppendingTheSameDataAgainIsRefusedByItsContentsEvenCompressed) {
  const auto plain = month(2000, 42, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load_files(plain.string()).exit_code, 0);
  ASSERT_EQ(std::system(("zstd -q -f " + plain.string()).c_str()), 0);
  // --append skips the range check; the checksum of the data after decompression still matches.
  const auto r = load_files(plain.string() + ".zst", {"--append"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("the contents of factLending_20240101-20240131.tsv.zst are already loaded"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("factLending_20240101-20240131.tsv (load #1"), std::string::npos) << r.out;
  EXPECT_EQ(count("fact_lending"), 2000);
  EXPECT_EQ(history_rows(), "1");
}

TEST_F(LoadReload, AFileWithoutADateInItsNameIsCheckedByTheDaysItHolds) {
  ASSERT_EQ(load_files(month(1000, 42, "factLending_20240101-20240131.tsv").string()).exit_code, 0);
  const auto extra = month(400, 9, "late_rows.tsv");
  const auto r = run({"--batch", "load", "--files", extra.string(), "--table", "FACT_LENDING"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("already holds 1,000 rows in 2024-01-01..2024-01-31"), std::string::npos) << r.out;
  EXPECT_EQ(count("fact_lending"), 1000);

  // Asked for explicitly, the rows are added.
  const auto appended = run({"--batch", "load", "--files", extra.string(), "--table", "FACT_LENDING", "--append"});
  ASSERT_EQ(appended.exit_code, 0) << appended.out << appended.err;
  EXPECT_EQ(count("fact_lending"), 1400);
  EXPECT_EQ(history_rows(), "2");
}

TEST_F(LoadReload, ATableDroppedOutsideSluiceCanBeLoadedAgain) {
  const auto file = month(1500, 42, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load_files(file.string()).exit_code, 0);
  auto conn = test_connection();
  conn.exec("DROP TABLE " + schema_ + ".fact_lending");
  const auto r = load_files(file.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("holds no rows in 2024-01-01..2024-01-31 now"), std::string::npos) << r.err;
  EXPECT_EQ(count("fact_lending"), 1500);
}

TEST_F(LoadReload, AMonthDeletedOutsideSluiceCanBeLoadedAgainAndOtherMonthsStayGuarded) {
  const auto jan = month(800, 42, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load_files(jan.string()).exit_code, 0);
  auto conn = test_connection();
  conn.exec("TRUNCATE " + schema_ + ".fact_lending");
  const auto again = load_files(jan.string());
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count("fact_lending"), 800);
  // And now it is there again, so a third load is refused.
  const auto third = load_files(jan.string());
  EXPECT_EQ(third.exit_code, 2) << third.out << third.err;
  EXPECT_NE(third.out.find("is already loaded into"), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("holds 800 rows in 2024-01-01..2024-01-31 now"), std::string::npos) << third.out;
}

TEST_F(LoadReload, ReplaceAndAppendTogetherAreAUsageError) {
  const auto file = month(100, 42, "factLending_20240101-20240131.tsv");
  const auto r = load_files(file.string(), {"--replace", "--append"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--replace and --append cannot be combined"), std::string::npos) << r.err;
}

TEST_F(LoadReload, FilesWithMonthGiveTheRangeForReplace) {
  ASSERT_EQ(load_files(month(600, 42, "factLending_20240101-20240131.tsv").string()).exit_code, 0);
  const auto undated = month(500, 5, "january_export.tsv");
  // --replace needs a range; the hint says how to give it, and doing so works.
  const auto refused = run({"--batch", "load", "--files", undated.string(), "--table", "FACT_LENDING", "--replace"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("--month YYYY-MM --replace"), std::string::npos) << refused.err;
  const auto r = run({"--batch", "load", "--files", undated.string(), "--table", "FACT_LENDING", "--month", "2024-01",
                      "--replace"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("fact_lending"), 500);
  // A named month must agree with the name's.
  const auto clash = run({"--batch", "load", "--files", (dir_ / "factLending_20240101-20240131.tsv").string(), "--month",
                          "2024-02", "--replace"});
  EXPECT_EQ(clash.exit_code, 2) << clash.out << clash.err;
  EXPECT_NE(clash.err.find("is named for 2024-01-01..2024-01-31, not --month 2024-02"), std::string::npos) << clash.err;
}

}  // namespace
}  // namespace sluice::test
