#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "loaders/scan/sniffer.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

using Rows = std::vector<std::vector<std::string>>;

TEST(Sniffer, CsvWithQuotedCommasAndDoubledQuotes) {
  const std::string text =
      "id,name,amount,day\n"
      "1,\"Smith, John\",12.50,2024-01-01\n"
      "2,\"Doe, Jane\",7.25,2024-01-02\n"
      "3,\"O\"\"Brien, Pat\",100.00,2024-01-03\n";
  const SniffResult r = sniff_text(text, true, "people.txt");
  ASSERT_TRUE(r.text);
  EXPECT_EQ(r.syntax.delimiter, ',');
  EXPECT_TRUE(r.syntax.quoted);
  EXPECT_EQ(r.format, FileFormat::csv);
  EXPECT_TRUE(r.syntax.header);
  EXPECT_EQ(r.columns, 4);
  EXPECT_EQ(r.header, (std::vector<std::string>{"id", "name", "amount", "day"}));
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0][1], "Smith, John");
  EXPECT_EQ(r.rows[2][1], "O\"Brien, Pat");
  EXPECT_FALSE(r.bom);
  EXPECT_FALSE(r.crlf);
  EXPECT_GE(r.confidence, 0.8) << r.reason;
  EXPECT_NE(r.reason.find("delimiter ,: 100% of 4 rows have 4 fields, with 3 quoted fields"), std::string::npos) << r.reason;
}

TEST(Sniffer, PipeFileWithoutHeaderIsTsvStyle) {
  const std::string text =
      "20240101|ACME|12.5|true\n"
      "20240102|Globex|7|false\n"
      "20240103|Initech|3.25|true\n"
      "20240104|Umbrella|0.5|false\n"
      "20240105|Hooli|1|true\n";
  const SniffResult r = sniff_text(text, true, "vendors.dat");
  EXPECT_EQ(r.syntax.delimiter, '|');
  EXPECT_FALSE(r.syntax.quoted);
  EXPECT_EQ(r.format, FileFormat::tsv);
  EXPECT_FALSE(r.syntax.header);
  EXPECT_TRUE(r.header.empty());
  EXPECT_EQ(r.columns, 4);
  EXPECT_EQ(r.rows.size(), 5u);
  EXPECT_GE(r.confidence, 0.9) << r.reason;
  EXPECT_NE(r.reason.find("no header: the first row fits in 3 of 4 columns"), std::string::npos) << r.reason;
}

TEST(Sniffer, HeaderOfNumbersQuotedAsText) {
  const std::string text =
      "\"2021\",\"2022\",\"2023\"\n"
      "1.5,2.25,3\n"
      "4,5.5,6.75\n"
      "7.125,8,9\n";
  const SniffResult r = sniff_text(text, true, "years.csv");
  EXPECT_EQ(r.syntax.delimiter, ',');
  EXPECT_TRUE(r.syntax.header) << r.reason;
  EXPECT_EQ(r.header, (std::vector<std::string>{"2021", "2022", "2023"}));
  EXPECT_EQ(r.rows.size(), 3u);
  EXPECT_NE(r.reason.find("quoted over unquoted numbers"), std::string::npos) << r.reason;
}

TEST(Sniffer, HeaderNumberingTheColumns) {
  const std::string text = "1\t2\t3\n10\t20\t30\n11\t21\t31\n12\t22\t32\n13\t23\t33\n";
  const SniffResult r = sniff_text(text, true, "matrix.tsv");
  EXPECT_TRUE(r.syntax.header) << r.reason;
  EXPECT_EQ(r.header, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(r.rows.size(), 4u);
}

TEST(Sniffer, NumbersOverNumbersAreData) {
  const std::string text = "10\t20\t30\n11\t21\t31\n12\t22\t32\n";
  const SniffResult r = sniff_text(text, true, "matrix.tsv");
  EXPECT_FALSE(r.syntax.header) << r.reason;
  EXPECT_EQ(r.rows.size(), 3u);
}

TEST(Sniffer, SingleColumnFile) {
  const SniffResult r = sniff_text("apple\nbanana\ncherry\ndurian\nelderberry\n", true, "fruit.txt");
  EXPECT_EQ(r.columns, 1);
  EXPECT_EQ(r.syntax.delimiter, '\t');
  EXPECT_EQ(r.format, FileFormat::tsv);
  EXPECT_EQ(r.rows.size() + (r.syntax.header ? 1 : 0), 5u);
  EXPECT_NE(r.reason.find("no tab, comma, pipe or semicolon in the sample: one column"), std::string::npos) << r.reason;
  EXPECT_LE(r.confidence, 0.5) << "all-text single column: the header guess must not look sure";
}

TEST(Sniffer, SingleColumnWithHeaderOverNumbers) {
  const SniffResult r = sniff_text("amount\n1\n2.5\n3\n", true, "amounts.csv");
  EXPECT_EQ(r.columns, 1);
  EXPECT_EQ(r.syntax.delimiter, ',');  // the name says CSV
  EXPECT_TRUE(r.syntax.header);
  EXPECT_EQ(r.header, (std::vector<std::string>{"amount"}));
  EXPECT_EQ(r.rows, (Rows{{"1"}, {"2.5"}, {"3"}}));
}

TEST(Sniffer, ByteOrderMarkAndCrlf) {
  const SniffResult r = sniff_text("\xEF\xBB\xBFkey\tvalue\r\nk1\t1\r\nk2\t2\r\nk3\t3\r\n", true, "kv.tsv");
  EXPECT_TRUE(r.bom);
  EXPECT_TRUE(r.crlf);
  EXPECT_TRUE(r.syntax.header);
  EXPECT_EQ(r.header, (std::vector<std::string>{"key", "value"}));
  EXPECT_EQ(r.rows, (Rows{{"k1", "1"}, {"k2", "2"}, {"k3", "3"}}));
  EXPECT_NE(r.reason.find("UTF-8 byte order mark"), std::string::npos);
  EXPECT_NE(r.reason.find("CRLF"), std::string::npos);
}

TEST(Sniffer, PartialLastRowOfASampleIsDropped) {
  const SniffResult r = sniff_text("a\tb\n1\t2\n3\t4\n5\t", false, "x.tsv");
  EXPECT_EQ(r.rows, (Rows{{"1", "2"}, {"3", "4"}}));
  // The same bytes as a whole file keep the last row.
  EXPECT_EQ(sniff_text("a\tb\n1\t2\n3\t4\n5\t", true, "x.tsv").rows.size(), 3u);
}

TEST(Sniffer, QuotedNewlineCutBySampleEnd) {
  const SniffResult r = sniff_text("id,note\n1,\"two\nlines\"\n2,\"unfinished", false, "n.csv");
  EXPECT_EQ(r.rows, (Rows{{"1", "two\nlines"}}));
}

TEST(Sniffer, AmbiguousDelimitersLowerTheConfidenceAndSaySo) {
  const std::string text = "x,1;y\nz,2;w\nq,3;e\nr,4;t\ns,5;u\n";
  const SniffResult r = sniff_text(text, true, "odd.txt");
  EXPECT_EQ(r.syntax.delimiter, ',');  // a tie goes to the more common delimiter
  EXPECT_LT(r.confidence, 0.7);
  EXPECT_NE(r.reason.find("but ; also splits 100% of rows into 2 fields"), std::string::npos) << r.reason;
}

TEST(Sniffer, NullMarkers) {
  const SniffResult r = sniff_text("id\tamount\n1\t\\N\n2\t5\n3\t6\n", true, "n.tsv");
  EXPECT_EQ(r.syntax.null_marker, "\\N");
  EXPECT_TRUE(r.syntax.header);
}

TEST(Sniffer, ArchivesAndUtf16AreNotText) {
  const std::string zip("PK\x03\x04\0\0\x08\0", 8);
  SniffResult r = sniff_text(zip, true, "x.zip");
  EXPECT_FALSE(r.text);
  EXPECT_NE(r.reason.find("a zip archive"), std::string::npos) << r.reason;
  EXPECT_NE(r.hint.find("Unpack it"), std::string::npos) << r.hint;

  // UTF-16LE without a byte order mark: every other byte of the first line is NUL.
  const std::string utf16("i\0d\0,\0n\0a\0m\0e\0\n\0" "1\0,\0x\0\n\0", 24);
  r = sniff_text(utf16, true, "u.csv");
  EXPECT_FALSE(r.text);
  EXPECT_NE(r.reason.find("UTF-16"), std::string::npos) << r.reason;
  EXPECT_NE(r.hint.find("iconv"), std::string::npos) << r.hint;
}

TEST(Sniffer, NulBytesInTextAreLeftToTheScan) {
  // nullterm.csv: the scan reports each NUL at its line and column; the sniffer reads on.
  const SniffResult r = sniff_text(std::string("hello\n\0world\0\n", 14), true, "nullterm.csv");
  EXPECT_TRUE(r.text) << r.reason;
  EXPECT_EQ(r.columns, 1);
}

TEST(Sniffer, ReadsGzipThroughTheByteSource) {
  test::TempDir dir;
  const auto path = dir / "sales_2024-01.tsv.gz";
  std::string text = "DAY\tSTORE\tAMOUNT\n";
  for (int i = 1; i <= 31; ++i) text += "2024-01-" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "\tS" + std::to_string(i % 3) + "\t1.5\n";
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
  const SniffResult r = sniff_file(path);
  EXPECT_TRUE(r.whole_file);
  EXPECT_EQ(r.sample_bytes, text.size());
  EXPECT_EQ(r.syntax.delimiter, '\t');
  EXPECT_TRUE(r.syntax.header);
  EXPECT_EQ(r.columns, 3);
  EXPECT_EQ(r.rows.size(), 31u);
}

TEST(Sniffer, SampleStopsAtTheLimit) {
  test::TempDir dir;
  std::string text = "ID\tNAME\n";
  for (int i = 0; i < 10000; ++i) text += std::to_string(i) + "\tname" + std::to_string(i) + "\n";
  const auto path = dir.write("big.tsv", text);
  const SniffResult r = sniff_file(path, 4096);
  EXPECT_FALSE(r.whole_file);
  EXPECT_EQ(r.sample_bytes, 4096u);
  EXPECT_TRUE(r.syntax.header);
  EXPECT_EQ(r.columns, 2);
  ASSERT_FALSE(r.rows.empty());
  EXPECT_EQ(r.rows.back()[1], "name" + r.rows.back()[0]) << "the cut row must not appear";
}

}  // namespace
}  // namespace sluice
