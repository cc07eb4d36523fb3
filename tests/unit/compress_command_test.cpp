// `sluice compress` as a user runs it: the real binary, and the standard `zstd -d` to read the
// output back. What it writes must be the input, byte for byte, whatever the input looks like.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/run_sluice.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

std::string fmt_part(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "part_%03d.zst", i);
  return name;
}

class CompressCommand : public ::testing::Test {
 protected:
  test::RunResult sluice(std::vector<std::string> args) {
    test::RunOptions o;
    o.env = {{"XDG_STATE_HOME", (dir_ / "state").string()},
             {"XDG_DATA_HOME", (dir_ / "data").string()},
             {"XDG_CONFIG_HOME", (dir_ / "config").string()}};
    args.insert(args.begin(), {"--progress", "none"});
    return test::run_sluice(args, o);
  }

  // What the standard zstd CLI makes of a file; fails the test if it cannot read it.
  std::string zstd_d(const fs::path& zst) {
    const fs::path out = dir_ / "zstd-d.out";
    const int rc = std::system(("zstd -q -d -c " + q(zst) + " > " + q(out)).c_str());
    EXPECT_EQ(rc, 0) << "zstd -d failed on " << zst;
    std::string s = read_all(out);
    fs::remove(out);
    return s;
  }

  fs::path generate(const std::string& name, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"generate", "--out", (dir_ / name).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = sluice(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return dir_ / name;
  }

  // Compresses `input` to `input`.zst and checks the round trip through `zstd -d`.
  void expect_round_trip(const fs::path& input, const std::string& content) {
    const auto r = sluice({"compress", input.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("ratio"), std::string::npos) << r.out;
    EXPECT_EQ(zstd_d(input.string() + ".zst"), content) << input;
  }

  test::TempDir dir_{"sluice-compress"};
};

TEST_F(CompressCommand, OutputIsTheInputByteForByte) {
  const fs::path f = generate("plain.tsv", {"--rows", "30000"});
  const auto r = sluice({"compress", f.string(), "--level", "1", "--workers", "2", "--chunk-mb", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(zstd_d(dir_ / "plain.tsv.zst"), read_all(f));
  // Rows were counted in the same pass, and the last line gives sizes, ratio and speed.
  EXPECT_NE(r.out.find("plain.tsv: 30,000 records\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MB/s"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "plain.tsv.zst.partial"));
}

TEST_F(CompressCommand, AwkwardInputsRoundTrip) {
  const std::string no_final_newline = "a\tb\tc\n1\t2\t3\n4\t5\t6";
  expect_round_trip(dir_.write("no_newline.tsv", no_final_newline), no_final_newline);
  const std::string crlf = "a\tb\r\n1\t2\r\n3\t4\r\n";
  expect_round_trip(dir_.write("crlf.tsv", crlf), crlf);
  expect_round_trip(dir_.write("empty.tsv", ""), "");
  const std::string csv = "id,note\n1,\"two\nlines, and a comma\"\n2,plain\n";
  expect_round_trip(dir_.write("quoted.csv", csv), csv);
  const fs::path header = generate("header.tsv", {"--rows", "2000", "--header"});
  expect_round_trip(header, read_all(header));
  // A byte order mark with no header row: the mark is not data, but it is the file's.
  const std::string bom_tsv = "\xEF\xBB\xBF" "1\t2\n3\t4\n";
  expect_round_trip(dir_.write("bom.tsv", bom_tsv), bom_tsv);
  const std::string bom_csv = "\xEF\xBB\xBF" "1,\"a\"\n2,b\n";
  expect_round_trip(dir_.write("bom.csv", bom_csv), bom_csv);
}

TEST_F(CompressCommand, RaggedRowsAreReportedButTheOutputIsStillTheInput) {
  const std::string text = "a\tb\tc\n1\t2\t3\n4\t5\n7\t8\t9\n";
  const fs::path f = dir_.write("ragged.tsv", text);
  auto r = sluice({"compress", f.string(), "--check-fields"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 row with a number of fields other than 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(f.string() + ":3"), std::string::npos) << r.out;
  EXPECT_EQ(zstd_d(f.string() + ".zst"), text);

  // TSV without --check-fields only counts rows.
  r = sluice({"compress", f.string(), "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ragged.tsv: 4 records\n"), std::string::npos) << r.out;

  // CSV rows are found by walking the fields, so CSV is always checked.
  const fs::path csv = dir_.write("ragged.csv", "a,b\n1,\"x,y\"\n2\n");
  r = sluice({"compress", csv.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 row with a number of fields other than 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(csv.string() + ":3"), std::string::npos) << r.out;
}

TEST_F(CompressCommand, CsvFieldCountComesFromTheFirstRowAsTheScannerReadsIt) {
  // An old Mac CSV: the first row ends at a CR. Read up to the first LF (there is none), the
  // "first row" was the whole file, and every row was reported with the wrong number of fields.
  const std::string text = "a,\"b\"\"c\",d\r1,\"x,y\",z\r2,\"two\rlines\",w\r3,4\r";
  const fs::path f = dir_.write("mac.csv", text);
  const auto r = sluice({"compress", f.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 row with a number of fields other than 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(f.string() + ":5"), std::string::npos) << r.out;  // the quoted CR is a line too
  EXPECT_EQ(zstd_d(f.string() + ".zst"), text);
}

// Issue 13: compress once read its first row with a walk of its own that flipped in and out of
// quotes at every quote, so the stray quote in `na"me` hid the header's line end and the "first
// row" ran on into the data: every row was then reported with the wrong number of fields, while
// analyze (the scanner's rules: a quote opens a field only as its first byte) read three fields.
TEST_F(CompressCommand, AStrayQuoteInTheFirstRowDoesNotMakeTheRowsRagged) {
  const std::string text = "id,na\"me,note\n1,a,b\n2,\"c, d\",e\n3,\"x\ny\",z\n";
  const fs::path f = dir_.write("stray.csv", text);
  const auto r = sluice({"compress", f.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("number of fields other than"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stray.csv: 4 records;"), std::string::npos) << r.out;
  EXPECT_EQ(zstd_d(f.string() + ".zst"), text);

  const auto a = sluice({"analyze", f.string(), "--json"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("\"column_count\": 3"), std::string::npos) << a.out;
}

// Issue 13: with --table, compress cut a header at its first LF, quoted or not, so a header whose
// quoted name holds a line break was written short, the rest was scanned as data, and the output
// check failed with "does not match the input ... This is a bug".
TEST_F(CompressCommand, TableCsvWhoseHeaderHoldsAQuotedNewline) {
  const std::string text = "id,\"two\nlines\",note\r\n1,a,b\r\n2,\"c, d\",e\r\n";
  const fs::path f = dir_.write("qh_2024-01.csv", text);
  dir_.write("sluice.yaml", R"(target: local
connections:
  local: { type: postgres, embedded: true }
tables:
  - table: "QH"
    file_pattern: "qh_{month}.csv"
    format: csv
    header: true
    columns:
      - { name: "id", type: "integer", required: true }
      - { name: "two\nlines", type: "text" }
      - { name: "note", type: "text" }
)");
  const auto r = sluice({"--config", (dir_ / "sluice.yaml").string(), "compress", f.string(), "--table", "QH"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.err.find("does not match the input"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("QC passed for table QH: 2 rows"), std::string::npos) << r.out;
  EXPECT_EQ(zstd_d(f.string() + ".zst"), text);  // the header, quoted line break and all
}

TEST_F(CompressCommand, GzipInputIsRecompressedAsZstd) {
  const fs::path f = generate("month.tsv", {"--rows", "5000"});
  const std::string original = read_all(f);
  ASSERT_EQ(std::system(("gzip -c " + q(f) + " > " + q(dir_ / "in.tsv.gz")).c_str()), 0);
  const auto r = sluice({"compress", (dir_ / "in.tsv.gz").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("gzip on disk"), std::string::npos) << r.out;
  // in.tsv.gz -> in.tsv.zst: the data, not the gzip stream, is what gets compressed.
  EXPECT_EQ(zstd_d(dir_ / "in.tsv.zst"), original);
}

TEST_F(CompressCommand, TruncatedGzipFailsNamingTheFileAndLeavesNothing) {
  const fs::path f = generate("month.tsv", {"--rows", "20000"});
  ASSERT_EQ(std::system(("gzip -c " + q(f) + " > " + q(dir_ / "whole.gz")).c_str()), 0);
  const std::string gz = read_all(dir_ / "whole.gz");
  const fs::path cut = dir_.write("cut.tsv.gz", gz.substr(0, gz.size() / 2));
  const auto r = sluice({"compress", cut.string(), "-o", (dir_ / "cut.zst").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(cut.string()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "cut.zst"));
  EXPECT_FALSE(fs::exists(dir_ / "cut.zst.partial"));
}

TEST_F(CompressCommand, ExistingOutputIsRefusedWithoutForce) {
  const fs::path f = dir_.write("x.tsv", "1\t2\n");
  dir_.write("x.tsv.zst", "precious");
  auto r = sluice({"compress", f.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(dir_ / "x.tsv.zst"), "precious");

  r = sluice({"compress", f.string(), "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(zstd_d(dir_ / "x.tsv.zst"), "1\t2\n");

  // A .zst input's default output is itself.
  r = sluice({"compress", (dir_ / "x.tsv.zst").string(), "--force"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is the input file"), std::string::npos) << r.err;
}

TEST_F(CompressCommand, SplitOutputHasWholeRowsInPartsOfAtMostTheSize) {
  const fs::path f = generate("big.tsv", {"--rows", "60000"});  // ~20 MB, ~4.5 MB compressed
  const auto r = sluice({"compress", f.string(), "-o", (dir_ / "part.zst").string(), "--split-mb", "1",
                         "--chunk-mb", "1", "--level", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string joined;
  int parts = 0;
  for (;; ++parts) {
    const fs::path p = dir_ / fmt_part(parts);
    if (!fs::exists(p)) break;
    EXPECT_LE(fs::file_size(p), 1'000'000u) << p;
    const std::string text = zstd_d(p);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n') << p << " ends inside a row";
    joined += text;
  }
  EXPECT_GE(parts, 3);
  EXPECT_EQ(joined, read_all(f));
  EXPECT_NE(r.out.find("part_000.zst"), std::string::npos) << r.out;
}

TEST_F(CompressCommand, TableQcRunsInTheSamePassAndGatesTheOutput) {
  const fs::path good = generate("fact_2024-01.tsv", {"--rows", "20000", "--header", "--config-out",
                                                       (dir_ / "sluice.yaml").string(), "--table", "FACT"});
  auto r = sluice({"--config", (dir_ / "sluice.yaml").string(), "compress", good.string(), "--table", "FACT"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("QC passed for table FACT: 20,000 rows"), std::string::npos) << r.out;
  EXPECT_EQ(zstd_d(good.string() + ".zst"), read_all(good));  // header included

  const fs::path bad = generate("fact_2024-02.tsv", {"--rows", "20000", "--header", "--month", "2024-02",
                                                      "--bad-date-line", "777"});
  r = sluice({"--config", (dir_ / "sluice.yaml").string(), "compress", bad.string(), "--table", "FACT"});
  EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
  EXPECT_NE(r.out.find(bad.string() + ":777"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(bad.string() + ".zst"));
  EXPECT_FALSE(fs::exists(bad.string() + ".zst.partial"));
}

// A full disk, imitated for the child with the file size limit it inherits (SIGXFSZ ignored, as it
// is inherited across exec too).
TEST_F(CompressCommand, AFailedWriteExitsOneAndLeavesNothing) {
  const fs::path f = generate("month.tsv", {"--rows", "20000"});
  rlimit old{};
  ::getrlimit(RLIMIT_FSIZE, &old);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit l = old;
  l.rlim_cur = 300'000;
  ::setrlimit(RLIMIT_FSIZE, &l);
  const auto r = sluice({"compress", f.string(), "--chunk-mb", "1"});
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot write " + f.string() + ".zst"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HINT"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(f.string() + ".zst"));
  EXPECT_FALSE(fs::exists(f.string() + ".zst.partial"));
}

}  // namespace
}  // namespace sluice
