// CopyFormat::snowflake_csv: the CSV staged for Snowflake (SnowflakeTarget::file_format). NULL is
// the empty field; a value is enclosed in quotes (quotes doubled) only when it must be: empty,
// holding a tab, newline, carriage return or quote, or first in its row and starting with a byte
// order mark. A backslash is written as is. For a plain TSV, rows that need no enclosing are copied
// as read; a row with a value that does goes field by field from that value on; rows with errors
// are never staged.
#include <gtest/gtest.h>

#include <string>

#include "loaders/scan/chunk_scanner.h"
#include "tests/support/scan_file.h"

namespace sluice {
namespace {

ChunkScanResult scan_staged(const std::string& text, const QcSettings& qc, const FileSyntax& syntax = {},
                            CopyFormat format = CopyFormat::snowflake_csv) {
  return test::scan_text(text, qc, test::copy_scan(syntax, format));
}

std::string staged(const std::string& text, const QcSettings& qc, const FileSyntax& syntax = {},
                   CopyFormat format = CopyFormat::snowflake_csv) {
  const auto r = scan_staged(text, qc, syntax, format);
  return r.copy_is_input ? text : std::string(r.copy.data(), r.copy_size);
}

FileSyntax delimited_by(char delimiter) {
  FileSyntax s;
  s.delimiter = delimiter;
  return s;
}

TEST(SnowflakeCsvCopy, RowsNeedingNoEnclosingAreStagedAsReadBackslashesIncluded) {
  const auto qc = test::id_day_name_qc();
  const std::string text = "1\t2024-01-01\tab\n2\t2024-01-02\t\n3\t2024-01-03\tc:\\dir\\\n4\t2024-01-04\t\\N \\t";
  EXPECT_EQ(staged(text, qc), text + "\n");
}

TEST(SnowflakeCsvCopy, PostgresTextKeepsBackslashNAndEscapes) {
  const auto qc = test::id_day_name_qc();
  EXPECT_EQ(staged("2\t2024-01-02\t\n3\t2024-01-03\ta\\b\n", qc, {}, CopyFormat::postgres_text),
            "2\t2024-01-02\t\\N\n3\t2024-01-03\ta\\\\b\n");
}

TEST(SnowflakeCsvCopy, AQuoteOrCarriageReturnEnclosesItsValueAndTheRestOfTheRowGoesFieldByField) {
  const auto qc = test::id_day_name_qc();
  EXPECT_EQ(staged("1\t2024-01-01\tsay \"hi\"\n", qc), "1\t2024-01-01\t\"say \"\"hi\"\"\"\n");
  EXPECT_EQ(staged("\"1\t2024-01-01\t\n", qc), "\"\"\"1\"\t2024-01-01\t\n");
  // A raw CR ends a TSV row (docs/csv-dialects.md); in a value it comes from CSV quoting or from
  // a TSV's escapes, and is enclosed.
  const FileSyntax csv = test::csv_syntax();
  EXPECT_EQ(staged("1,2024-01-01,\"a\rb\"\n", qc, csv), "1\t2024-01-01\t\"a\rb\"\n");
  FileSyntax escaped;
  escaped.backslash_escapes = true;
  escaped.null_marker = "\\N";
  EXPECT_EQ(staged("1\t2024-01-01\ta\\rb\n", qc, escaped), "1\t2024-01-01\t\"a\rb\"\n");
  // An empty value after the switch stays empty (NULL), not "".
  EXPECT_EQ(staged("1\"\t2024-01-01\t\n", qc), "\"1\"\"\"\t2024-01-01\t\n");
}

TEST(SnowflakeCsvCopy, CrlfRowsLoseTheCarriageReturn) {
  const auto qc = test::id_day_name_qc();
  EXPECT_EQ(staged("1\t2024-01-01\tab\r\n2\t2024-01-02\t\r\n", qc), "1\t2024-01-01\tab\n2\t2024-01-02\t\n");
}

TEST(SnowflakeCsvCopy, AFirstValueStartingWithAByteOrderMarkIsEnclosed) {
  // A staged file starts with a row, and SKIP_BYTE_ORDER_MARK would drop the mark there.
  const auto qc = test::id_day_name_qc();
  EXPECT_EQ(staged("\xEF\xBB\xBF" "1\t2024-01-01\t\xEF\xBB\xBFx\n", qc),
            "\"\xEF\xBB\xBF" "1\"\t2024-01-01\t\xEF\xBB\xBFx\n");
}

TEST(SnowflakeCsvCopy, RaggedAndFailingRowsAreNotStaged) {
  auto qc = test::id_day_name_qc();
  qc.expected_range = DateRange::month(2024, 1);
  EXPECT_EQ(staged("1\t2024-01-01\ta\n2\t2024-01-02\n3\t2024-01-03\tc\td\n4\t2024-02-01\td\n\t2024-01-05\te\n"
                   "6\t2024-01-06\tf\n",
                   qc),
            "1\t2024-01-01\ta\n6\t2024-01-06\tf\n");
}

TEST(SnowflakeCsvCopy, AChunkOfWholeRowsIsItsOwnCopyTextAndNothingIsCopied) {
  const auto qc = test::id_day_name_qc();
  const auto r = scan_staged("1\t2024-01-01\tab\n2\t2024-01-02\t\\\n", qc);
  EXPECT_TRUE(r.copy_is_input);
  EXPECT_EQ(r.copy_size, 0u);
  EXPECT_EQ(r.rows, 2u);
}

TEST(SnowflakeCsvCopy, TheRowsBeforeAnEnclosedValueOrABadRowAreCopiedOnce) {
  auto qc = test::id_day_name_qc();
  qc.expected_range = DateRange::month(2024, 1);
  const auto quoted = scan_staged("1\t2024-01-01\ta\n2\t2024-01-02\tb\"c\n3\t2024-01-03\tc\n", qc);
  EXPECT_FALSE(quoted.copy_is_input);
  EXPECT_EQ(std::string(quoted.copy.data(), quoted.copy_size),
            "1\t2024-01-01\ta\n2\t2024-01-02\t\"b\"\"c\"\n3\t2024-01-03\tc\n");
  // A bad value after the switch to field by field drops its row only.
  const auto both = scan_staged("1\t2024-01-01\ta\n2\"x\t2024-03-01\tb\n3\t2024-01-03\tc\n", qc);
  EXPECT_EQ(std::string(both.copy.data(), both.copy_size), "1\t2024-01-01\ta\n3\t2024-01-03\tc\n");
  const auto bad = scan_staged("1\t2024-01-01\ta\n2\t2024-02-01\tb\n3\t2024-01-03\tc\n", qc);
  EXPECT_FALSE(bad.copy_is_input);
  EXPECT_EQ(std::string(bad.copy.data(), bad.copy_size), "1\t2024-01-01\ta\n3\t2024-01-03\tc\n");
}

TEST(SnowflakeCsvCopy, ALastRowWithoutItsNewlineGetsOne) {
  const auto qc = test::id_day_name_qc();
  const auto r = scan_staged("1\t2024-01-01\ta\n2\t2024-01-02\tb", qc);
  EXPECT_FALSE(r.copy_is_input);
  EXPECT_EQ(std::string(r.copy.data(), r.copy_size), "1\t2024-01-01\ta\n2\t2024-01-02\tb\n");
}

TEST(SnowflakeCsvCopy, RowsAreStagedWholeOnlyForTabSeparatedFilesWithoutAMarkerOrEscapes) {
  FileSyntax tsv;
  EXPECT_TRUE(tsv.rows_are_snowflake_csv());
  FileSyntax marker = tsv;
  marker.null_marker = "NULL";
  EXPECT_FALSE(marker.rows_are_snowflake_csv());
  FileSyntax escapes = tsv;
  escapes.backslash_escapes = true;
  escapes.null_marker = "\\N";
  EXPECT_FALSE(escapes.rows_are_snowflake_csv());
  FileSyntax csv = tsv;
  csv.quoted = true;
  csv.delimiter = ',';
  EXPECT_FALSE(csv.rows_are_snowflake_csv());
  // A pipe-separated file is written again with tabs, field by field; a tab in a value is enclosed.
  const auto qc = test::id_day_name_qc();
  EXPECT_EQ(staged("1|2024-01-01|a\tb\n2|2024-01-02|\n", qc, delimited_by('|')),
            "1\t2024-01-01\t\"a\tb\"\n2\t2024-01-02\t\n");
  EXPECT_EQ(staged("1\t2024-01-01\tNULL\n2\t2024-01-02\t\n", qc, marker), "1\t2024-01-01\t\n2\t2024-01-02\t\n");
}

TEST(SnowflakeCsvCopy, AOneColumnTablesRecordsGetASecondEmptyFieldSoItsNullIsNoBlankLine) {
  const QcSettings qc = test::columns_qc({"NOTE"});
  const auto r = scan_staged("a\n\nb\\c\n\"\n", qc);
  EXPECT_FALSE(r.copy_is_input);
  EXPECT_EQ(std::string(r.copy.data(), r.copy_size), "a\t\n\t\nb\\c\t\n\"\"\"\"\t\n");
}

TEST(SnowflakeCsvCopy, CsvValuesAreEnclosedOnlyWhenTheyMustBe) {
  const FileSyntax csv = test::csv_syntax();
  const auto qc = test::id_day_name_qc();
  EXPECT_EQ(staged("1,2024-01-01,\"a,b\"\n2,2024-01-02,\"\"\n3,2024-01-03,\n4,2024-01-04,\"x\ny\"\n"
                   "5,2024-01-05,\"q\"\"q\"\n6,2024-01-06,\\N\n7,2024-01-07,\"tab\there\"\n",
                   qc, csv),
            "1\t2024-01-01\ta,b\n2\t2024-01-02\t\"\"\n3\t2024-01-03\t\n4\t2024-01-04\t\"x\ny\"\n"
            "5\t2024-01-05\t\"q\"\"q\"\n6\t2024-01-06\t\\N\n7\t2024-01-07\t\"tab\there\"\n");
}

TEST(SnowflakeCsvCopy, EscapedTsvValuesAreDecodedAsPostgresReadsThem) {
  FileSyntax escaped;
  escaped.backslash_escapes = true;
  escaped.null_marker = "\\N";
  const auto qc = test::id_day_name_qc();
  EXPECT_EQ(staged("1\t2024-01-01\ttab\\there\n2\t2024-01-02\t\\N\n3\t2024-01-03\ta\\\\b\\101\\x41\\q\\7z\n"
                   "4\t2024-01-04\t\\b\\f\\n\\r\\v\\x4G\\\n",
                   qc, escaped),
            "1\t2024-01-01\t\"tab\there\"\n2\t2024-01-02\t\n3\t2024-01-03\ta\\bAAq\az"
            "\n4\t2024-01-04\t\"\b\f\n\r\v\x04G\\\"\n");
}

}  // namespace
}  // namespace sluice
