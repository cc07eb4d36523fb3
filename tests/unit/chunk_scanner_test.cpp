#include <gtest/gtest.h>

#include <string>

#include "loaders/scan/chunk_scanner.h"

namespace sluice {
namespace {

QcSettings three_columns(int date_field = 1) {
  QcSettings s;
  s.column_names = {"ID", "DAY", "NAME"};
  s.required = {true, false, false};
  s.date_field = date_field;
  return s;
}

ChunkScanResult scan(const std::string& text, const QcSettings& qc, bool csv = false, bool encode = true) {
  ScanConfig cfg;
  cfg.syntax.quoted = csv;
  cfg.syntax.delimiter = csv ? ',' : '\t';
  cfg.qc = &qc;
  cfg.encode_copy = encode;
  ChunkScanResult r;
  scan_chunk(text.data(), text.size(), cfg, r);
  return r;
}

std::string copy_text(const ChunkScanResult& r) { return std::string(r.copy.data(), r.copy_size); }

TEST(ChunkScanner, CountsRowsAndEncodesEmptyFieldsAsNull) {
  auto qc = three_columns();
  auto r = scan("1\t2024-01-01\tab\n2\t2024-01-02\t\n", qc);
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.lines, 2u);
  EXPECT_EQ(r.qc.error_count(), 0u);
  EXPECT_EQ(copy_text(r), "1\t2024-01-01\tab\n2\t2024-01-02\t\\N\n");
}

TEST(ChunkScanner, LastRowWithoutNewlineAndCrlf) {
  auto qc = three_columns();
  auto r = scan("1\t2024-01-01\tab\r\n2\t2024-01-02\tcd", qc);
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(copy_text(r), "1\t2024-01-01\tab\n2\t2024-01-02\tcd\n");
}

TEST(ChunkScanner, RaggedRowIsReportedWithItsLineAndNotEncoded) {
  auto qc = three_columns();
  auto r = scan("1\t2024-01-01\ta\n2\t2024-01-01\n3\t2024-01-01\tc\td\n", qc);
  ASSERT_EQ(r.qc.wrong_field_count.count(), 2u);
  EXPECT_EQ(r.qc.wrong_field_count.examples()[0].line, 1u);  // chunk-relative, 0-based
  EXPECT_EQ(r.qc.wrong_field_count.examples()[0].note, "2 fields, expected 3");
  EXPECT_EQ(r.qc.wrong_field_count.examples()[1].line, 2u);
  EXPECT_EQ(copy_text(r), "1\t2024-01-01\ta\n");
}

TEST(ChunkScanner, BadEmptyAndOutOfRangeDatesCarryLineAndColumn) {
  auto qc = three_columns();
  qc.expected_range = DateRange::month(2024, 1);
  auto r = scan("1\t2024-01-01\ta\n2\t2024-02-30\tb\n3\t\tc\n4\t2024-02-01\td\n", qc);
  ASSERT_EQ(r.qc.bad_date.count(), 1u);
  EXPECT_EQ(r.qc.bad_date.examples()[0].line, 1u);
  EXPECT_EQ(r.qc.bad_date.examples()[0].column, 3u);
  EXPECT_EQ(r.qc.bad_date.examples()[0].field, 2);
  EXPECT_EQ(r.qc.bad_date.examples()[0].value, "2024-02-30");
  ASSERT_EQ(r.qc.empty_date.count(), 1u);
  EXPECT_EQ(r.qc.empty_date.examples()[0].line, 2u);
  ASSERT_EQ(r.qc.out_of_range.count(), 1u);
  EXPECT_EQ(r.qc.out_of_range.examples()[0].line, 3u);
}

TEST(ChunkScanner, RequiredColumnEmpty) {
  auto qc = three_columns();
  auto r = scan("\t2024-01-01\ta\n", qc);
  ASSERT_EQ(r.qc.missing_required.count(), 1u);
  EXPECT_EQ(r.qc.missing_required.examples()[0].note, "ID is empty");
}

TEST(ChunkScanner, BackslashesAreEscapedForCopy) {
  auto qc = three_columns();
  auto r = scan("1\t2024-01-01\tC:\\dir\n", qc);
  EXPECT_EQ(copy_text(r), "1\t2024-01-01\tC:\\\\dir\n");
}

TEST(ChunkScanner, CsvQuotedDelimitersQuotesAndNewlines) {
  auto qc = three_columns();
  auto r = scan("1,2024-01-01,\"a,b\"\n2,2024-01-02,\"say \"\"hi\"\"\"\n3,2024-01-03,\"two\nlines\"\n4,2024-01-04,\"\"\n",
                qc, /*csv=*/true);
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(r.lines, 5u);
  EXPECT_TRUE(r.rows_span_lines);
  EXPECT_EQ(r.qc.error_count(), 0u);
  EXPECT_EQ(copy_text(r),
            "1\t2024-01-01\ta,b\n2\t2024-01-02\tsay \"hi\"\n3\t2024-01-03\ttwo\\nlines\n4\t2024-01-04\t\n");
}

TEST(ChunkScanner, CsvRowAfterQuotedNewlineGetsTheRightLine) {
  auto qc = three_columns();
  auto r = scan("1,2024-01-01,\"x\ny\"\n2,2024-13-01,z\n", qc, /*csv=*/true);
  ASSERT_EQ(r.qc.bad_date.count(), 1u);
  EXPECT_EQ(r.qc.bad_date.examples()[0].line, 2u);
}

TEST(ChunkScanner, CsvUnterminatedQuote) {
  auto qc = three_columns();
  auto r = scan("1,2024-01-01,\"never closed\n", qc, /*csv=*/true);
  EXPECT_EQ(r.qc.unterminated_quote.count(), 1u);
}

TEST(ChunkScanner, CsvUnterminatedQuoteNamesItsOneBasedField) {
  auto qc = three_columns();
  auto r = scan("1,2024-01-01,\"never closed\n", qc, /*csv=*/true);
  ASSERT_EQ(r.qc.unterminated_quote.count(), 1u);
  const Example& e = r.qc.unterminated_quote.examples()[0];
  EXPECT_EQ(e.line, 0u);
  EXPECT_EQ(e.column, 14u);
  EXPECT_EQ(e.field, 3);  // was 2: the count of fields before it
}

TEST(ChunkScanner, SkippedRowWithAnUnterminatedQuotePastTheLastColumn) {
  // --on-error skip builds a reason for the reject file; it looked up the column name of the
  // quote's field, which a ragged row can put past the last column (found by fuzzing: read out of
  // bounds). One column here, the quote opens field 3.
  QcSettings qc;
  qc.column_names = {"NOTE"};
  qc.required = {false};
  ScanConfig cfg;
  cfg.syntax.quoted = true;
  cfg.syntax.delimiter = ',';
  cfg.qc = &qc;
  cfg.encode_copy = true;
  cfg.skip_bad_rows = true;
  cfg.max_rejects_kept = 5;
  ChunkScanResult r;
  const std::string text = "ok\na,b,\"open\nstill open";
  scan_chunk(text.data(), text.size(), cfg, r);
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.rejected_rows, 1u);
  ASSERT_EQ(r.qc.unterminated_quote.count(), 1u);
  EXPECT_EQ(r.qc.unterminated_quote.examples()[0].field, 3);
  EXPECT_EQ(r.qc.unterminated_quote.examples()[0].column, 5u);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 1u);
  EXPECT_EQ(r.rejects[0].row, 1u);
  EXPECT_EQ(r.rejects[0].reason, "quoted field never closed");
  EXPECT_EQ(r.rejects[0].text, "a,b,\"open\nstill open");
  EXPECT_EQ(copy_text(r), "ok\n");
}

TEST(ChunkScanner, SplitRowUnquotesCsv) {
  FileSyntax csv;
  csv.quoted = true;
  csv.delimiter = ',';
  std::string row = "a,\"b,c\",\"d\"\"e\"";
  auto f = split_row(row.data(), row.size(), csv);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1], "b,c");
  EXPECT_EQ(f[2], "d\"e");
}

}  // namespace
}  // namespace sluice
