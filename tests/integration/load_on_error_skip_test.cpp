// --on-error skip: bad rows go to the reject file with line and reason, the rest loads, and the
// summary and load history say how many were set aside; past --max-errors nothing loads.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/load_fixture.h"

namespace sluice::test {
namespace {

class LoadOnErrorSkip : public LoadFixture {
 protected:
  void SetUp() override {
    LoadFixture::SetUp();
    write_sample_config();
    SampleDataOptions o;
    o.rows = 10000;
    o.ragged_line = 4000;
    o.bad_date_line = 7000;
    generate(o, "factLending_20240101-20240131.tsv");
  }
  RunResult load(std::vector<std::string> extra) {
    std::vector<std::string> args{"--batch", "load", "--month", "2024-01", "--base-path", dir_.path().string(), "--create"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

TEST_F(LoadOnErrorSkip, BadRowsGoToTheRejectFileAndTheRestLoads) {
  const auto rejects = dir_ / "rejects.tsv";
  const auto r = load({"--on-error", "skip", "--reject-file", rejects.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("fact_lending"), 9998);
  EXPECT_NE(r.out.find("10,000 in the file, 9,998 loaded, 2 set aside"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 bad rows were set aside in " + rejects.string()), std::string::npos) << r.out;

  const std::string text = read(rejects);
  std::istringstream lines(text);
  std::string header, first, second, extra;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_EQ(header, "file\tline\treason\trow");
  EXPECT_EQ(first.rfind((dir_ / "factLending_20240101-20240131.tsv").string() + "\t4000\twrong number of fields: ", 0), 0u) << first;
  EXPECT_NE(second.find("\t7000\tRECORDDATE: not a valid date (YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY): 2024-02-30\t"), std::string::npos) << second;
  EXPECT_FALSE(std::getline(lines, extra));

  EXPECT_EQ(scalar("SELECT rows_loaded || '/' || rows_rejected FROM " + schema_ + ".sluice_load_history"), "9998/2");
}

TEST_F(LoadOnErrorSkip, MoreBadRowsThanMaxErrorsLoadsNothing) {
  const auto rejects = dir_ / "rejects.tsv";
  const auto r = load({"--on-error", "skip", "--max-errors", "1", "--reject-file", rejects.string()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("2 bad rows, more than --max-errors 1"), std::string::npos) << r.out;
  EXPECT_FALSE(table_exists("fact_lending"));
}

TEST_F(LoadOnErrorSkip, SkipWithoutARejectFileIsAUsageError) {
  const auto r = load({"--on-error", "skip"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--reject-file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice::test
