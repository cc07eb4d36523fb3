#include <gtest/gtest.h>

#include <string>

#include "core/column_type.h"
#include "loaders/scan/chunk_scanner.h"
#include "tests/support/scan_file.h"

namespace sluice {
namespace {

std::string copy_text(const ChunkScanResult& r) { return std::string(r.copy.data(), r.copy_size); }

TEST(ChunkScanner, CountsRowsAndEncodesEmptyFieldsAsNull) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("1\t2024-01-01\tab\n2\t2024-01-02\t\n", qc);
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.lines, 2u);
  EXPECT_EQ(r.qc.error_count(), 0u);
  EXPECT_EQ(copy_text(r), "1\t2024-01-01\tab\n2\t2024-01-02\t\\N\n");
}

TEST(ChunkScanner, LastRowWithoutNewlineAndCrlf) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("1\t2024-01-01\tab\r\n2\t2024-01-02\tcd", qc);
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(copy_text(r), "1\t2024-01-01\tab\n2\t2024-01-02\tcd\n");
}

TEST(ChunkScanner, RaggedRowIsReportedWithItsLineAndNotEncoded) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("1\t2024-01-01\ta\n2\t2024-01-01\n3\t2024-01-01\tc\td\n", qc);
  ASSERT_EQ(r.qc.list(Check::column_count).count(), 2u);
  EXPECT_EQ(r.qc.list(Check::column_count).examples()[0].line, 1u);  // chunk-relative, 0-based
  EXPECT_EQ(r.qc.list(Check::column_count).examples()[0].note, "2 fields, expected 3");
  EXPECT_EQ(r.qc.list(Check::column_count).examples()[1].line, 2u);
  EXPECT_EQ(copy_text(r), "1\t2024-01-01\ta\n");
}

TEST(ChunkScanner, BadEmptyAndOutOfRangeDatesCarryLineAndColumn) {
  auto qc = test::id_day_name_qc();
  qc.expected_range = DateRange::month(2024, 1);
  auto r = test::scan_text("1\t2024-01-01\ta\n2\t2024-02-30\tb\n3\t\tc\n4\t2024-02-01\td\n", qc);
  ASSERT_EQ(r.qc.list(Check::date_unparseable).count(), 1u);
  EXPECT_EQ(r.qc.list(Check::date_unparseable).examples()[0].line, 1u);
  EXPECT_EQ(r.qc.list(Check::date_unparseable).examples()[0].column, 3u);
  EXPECT_EQ(r.qc.list(Check::date_unparseable).examples()[0].field, 2);
  EXPECT_EQ(r.qc.list(Check::date_unparseable).examples()[0].value, "2024-02-30");
  ASSERT_EQ(r.qc.list(Check::date_empty).count(), 1u);
  EXPECT_EQ(r.qc.list(Check::date_empty).examples()[0].line, 2u);
  ASSERT_EQ(r.qc.list(Check::date_out_of_range).count(), 1u);
  EXPECT_EQ(r.qc.list(Check::date_out_of_range).examples()[0].line, 3u);
}

TEST(ChunkScanner, RequiredColumnEmpty) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("\t2024-01-01\ta\n", qc);
  ASSERT_EQ(r.qc.list(Check::required_empty).count(), 1u);
  EXPECT_EQ(r.qc.list(Check::required_empty).examples()[0].note, "ID is empty");
}

TEST(ChunkScanner, BackslashesAreEscapedForCopy) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("1\t2024-01-01\tC:\\dir\n", qc);
  EXPECT_EQ(copy_text(r), "1\t2024-01-01\tC:\\\\dir\n");
}

TEST(ChunkScanner, CsvQuotedDelimitersQuotesAndNewlines) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("1,2024-01-01,\"a,b\"\n2,2024-01-02,\"say \"\"hi\"\"\"\n3,2024-01-03,\"two\nlines\"\n4,2024-01-04,\"\"\n",
                           qc, test::copy_scan(test::csv_syntax()));
  EXPECT_EQ(r.rows, 4u);
  EXPECT_EQ(r.lines, 5u);
  EXPECT_TRUE(r.rows_span_lines);
  EXPECT_EQ(r.qc.error_count(), 0u);
  EXPECT_EQ(copy_text(r),
            "1\t2024-01-01\ta,b\n2\t2024-01-02\tsay \"hi\"\n3\t2024-01-03\ttwo\\nlines\n4\t2024-01-04\t\n");
}

TEST(ChunkScanner, CsvRowAfterQuotedNewlineGetsTheRightLine) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("1,2024-01-01,\"x\ny\"\n2,2024-13-01,z\n", qc, test::copy_scan(test::csv_syntax()));
  ASSERT_EQ(r.qc.list(Check::date_unparseable).count(), 1u);
  EXPECT_EQ(r.qc.list(Check::date_unparseable).examples()[0].line, 2u);
}

TEST(ChunkScanner, CsvUnterminatedQuote) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("1,2024-01-01,\"never closed\n", qc, test::copy_scan(test::csv_syntax()));
  EXPECT_EQ(r.qc.list(Check::unterminated_quote).count(), 1u);
}

TEST(ChunkScanner, CsvUnterminatedQuoteNamesItsOneBasedField) {
  auto qc = test::id_day_name_qc();
  auto r = test::scan_text("1,2024-01-01,\"never closed\n", qc, test::copy_scan(test::csv_syntax()));
  ASSERT_EQ(r.qc.list(Check::unterminated_quote).count(), 1u);
  const Example& e = r.qc.list(Check::unterminated_quote).examples()[0];
  EXPECT_EQ(e.line, 0u);
  EXPECT_EQ(e.column, 14u);
  EXPECT_EQ(e.field, 3);  // was 2: the count of fields before it
}

TEST(ChunkScanner, SkippedRowWithAnUnterminatedQuotePastTheLastColumn) {
  // --on-error skip builds a reason for the reject file; it looked up the column name of the
  // quote's field, which a ragged row can put past the last column (found by fuzzing: read out of
  // bounds). One column here, the quote opens field 3.
  const QcSettings qc = test::columns_qc({"NOTE"});
  ScanConfig cfg = test::copy_scan(test::csv_syntax());
  cfg.skip_bad_rows = true;
  cfg.max_rejects_kept = 5;
  const auto r = test::scan_text("ok\na,b,\"open\nstill open", qc, cfg);
  EXPECT_EQ(r.rows, 2u);
  EXPECT_EQ(r.rejected_rows, 1u);
  ASSERT_EQ(r.qc.list(Check::unterminated_quote).count(), 1u);
  EXPECT_EQ(r.qc.list(Check::unterminated_quote).examples()[0].field, 3);
  EXPECT_EQ(r.qc.list(Check::unterminated_quote).examples()[0].column, 5u);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].line, 1u);
  EXPECT_EQ(r.rejects[0].row, 1u);
  EXPECT_EQ(r.rejects[0].reason, "quoted field never closed");
  EXPECT_EQ(r.rejects[0].text, "a,b,\"open\nstill open");
  EXPECT_EQ(copy_text(r), "ok\n");
}

TEST(ChunkScanner, RowsPastTheExampleCapKeepTheirRejectReason) {
  // Examples stop at the cap; a set-aside row's reason is still made from its own first problem.
  QcSettings qc = test::id_day_name_qc();
  qc.value_checks = {ValueChecker(*parse_column_type("integer")), std::nullopt, std::nullopt};
  std::string text;
  for (int i = 0; i < 30; ++i) text += "x" + std::to_string(i) + "\t2024-01-01\tn\n";
  ScanConfig cfg = test::copy_scan();
  cfg.skip_bad_rows = true;
  cfg.max_rejects_kept = 25;
  const auto r = test::scan_text(text, qc, cfg);
  EXPECT_EQ(r.qc.list(Check::type).count(), 30u);
  EXPECT_EQ(r.qc.list(Check::type).examples().size(), ExampleList::kMaxExamples);
  EXPECT_EQ(r.rejected_rows, 30u);
  ASSERT_EQ(r.rejects.size(), 25u);
  EXPECT_EQ(r.rejects[24].line, 24u);
  EXPECT_EQ(r.rejects[24].reason, "ID: not an integer: x24");
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
