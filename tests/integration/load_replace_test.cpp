// Loading a file (or its month) twice is refused; --replace swaps the month's rows atomically and records it.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "tests/support/load_fixture.h"

namespace sluice::test {
namespace {

class LoadReplace : public LoadFixture {
 protected:
  RunResult load(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
};

TEST_F(LoadReplace, SecondLoadOfTheSameFileIsRefused) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 4000;
  generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load().exit_code, 0);
  const auto r = load();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("is already loaded into"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--replace"), std::string::npos) << r.out;
  EXPECT_EQ(count("fact_lending"), 4000);
}

TEST_F(LoadReplace, SameContentsUnderAnotherNameAreRefusedToo) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 2000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load().exit_code, 0);
  // The same bytes under another name the pattern accepts: its month holds rows, so it is refused
  // before it is read; with --append, the checksum after the scan still catches it.
  const auto renamed = dir_ / "factLending_20240101-20240131.txt";
  std::filesystem::rename(file, renamed);
  const auto by_range = run({"--batch", "load", "--files", renamed.string()});
  EXPECT_EQ(by_range.exit_code, 2) << by_range.out << by_range.err;
  EXPECT_NE(by_range.out.find("already holds 2,000 rows in 2024-01-01..2024-01-31"), std::string::npos) << by_range.out;
  const auto r = run({"--batch", "load", "--files", renamed.string(), "--append"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("the contents of factLending_20240101-20240131.txt are already loaded"), std::string::npos) << r.out;
  EXPECT_EQ(count("fact_lending"), 2000);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + schema_ + ".sluice_load_history"), "1");
}

TEST_F(LoadReplace, ReplaceSwapsTheMonthAndMarksTheOldLoadReplaced) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 4000;
  generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load().exit_code, 0);
  const std::string first = digest("fact_lending");

  SampleDataOptions o2;
  o2.rows = 3000;
  o2.seed = 99;
  generate(o2, "factLending_20240101-20240131.tsv");
  const auto r = load({"--replace"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("4,000 replaced"), std::string::npos) << r.out;
  EXPECT_EQ(count("fact_lending"), 3000);
  EXPECT_NE(digest("fact_lending"), first);
  EXPECT_EQ(scalar("SELECT string_agg(id || ':' || rows_loaded || ':' || coalesce(replaced_by::text, '-'), ',' ORDER BY id) FROM " +
                   schema_ + ".sluice_load_history"),
            "1:4000:2,2:3000:-");
}

TEST_F(LoadReplace, ARolledBackReplaceSaysItReplacedNothing) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 2000;
  generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(load().exit_code, 0);
  // A new export with a ragged row: QC fails, the transaction with the DELETE rolls back.
  SampleDataOptions bad = o;
  bad.seed = 5;
  bad.ragged_line = 17;
  generate(bad, "factLending_20240101-20240131.tsv");
  const auto text = load({"--replace"});
  EXPECT_EQ(text.exit_code, 3) << text.out << text.err;
  EXPECT_NE(text.out.find("2,000 would have been replaced (rolled back: still there)"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("2,000 replaced"), std::string::npos) << text.out;
  const auto json = load({"--replace", "--json"});
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["committed"], false);
  EXPECT_EQ(j["files"][0]["rows_deleted"], 0);
  EXPECT_EQ(j["files"][0]["rows_to_replace"], 2000);
  EXPECT_EQ(count("fact_lending"), 2000);
}

TEST_F(LoadReplace, ReplaceLeavesOtherMonthsAlone) {
  write_sample_config();
  SampleDataOptions jan;
  jan.rows = 1500;
  generate(jan, "factLending_20240101-20240131.tsv");
  SampleDataOptions feb = jan;
  feb.month = 2;
  generate(feb, "factLending_20240201-20240229.tsv");
  ASSERT_EQ(load().exit_code, 0);
  ASSERT_EQ(run({"--batch", "load", "--month", "2024-02", "--base-path", dir_.path().string()}).exit_code, 0);
  ASSERT_EQ(count("fact_lending"), 3000);
  const auto r = load({"--replace"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("fact_lending", "\"recorddate\" >= '2024-02-01'"), 1500);
  EXPECT_EQ(count("fact_lending"), 3000);
}

}  // namespace
}  // namespace sluice::test
