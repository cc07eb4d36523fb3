// Loading a file twice is refused; --replace swaps the month's rows atomically and records it.
#include <gtest/gtest.h>

#include <filesystem>

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
  // The same bytes under another name the pattern accepts: caught by the checksum after the scan.
  const auto renamed = dir_ / "factLending_20240101-20240131.txt";
  std::filesystem::rename(file, renamed);
  const auto r = run({"--batch", "load", "--files", renamed.string()});
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
