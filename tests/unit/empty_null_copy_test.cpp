// ScanConfig::empty_null_copy: the COPY text staged for Snowflake when NULL is the empty field.
// Rows that need no escape are copied as read; a row with a backslash or carriage return goes
// field by field from that value on; rows with errors are never staged.
#include <gtest/gtest.h>

#include <string>

#include "loaders/scan/chunk_scanner.h"

namespace sluice {
namespace {

QcSettings three_columns() {
  QcSettings s;
  s.column_names = {"ID", "DAY", "NAME"};
  s.required = {true, false, false};
  s.date_field = 1;
  return s;
}

std::string staged(const std::string& text, const QcSettings& qc, bool empty_nulls = true, char delimiter = '\t') {
  ScanConfig cfg;
  cfg.syntax.delimiter = delimiter;
  cfg.qc = &qc;
  cfg.encode_copy = true;
  cfg.empty_null_copy = empty_nulls;
  ChunkScanResult r;
  scan_chunk(text.data(), text.size(), cfg, r);
  return r.copy_is_input ? text : std::string(r.copy.data(), r.copy_size);
}

TEST(EmptyNullCopy, RowsNeedingNoEscapeAreStagedAsRead) {
  const auto qc = three_columns();
  EXPECT_EQ(staged("1\t2024-01-01\tab\n2\t2024-01-02\t\n3\t2024-01-03\tc d", qc),
            "1\t2024-01-01\tab\n2\t2024-01-02\t\n3\t2024-01-03\tc d\n");
}

TEST(EmptyNullCopy, WithoutTheOptionNullIsBackslashN) {
  const auto qc = three_columns();
  EXPECT_EQ(staged("2\t2024-01-02\t\n", qc, false), "2\t2024-01-02\t\\N\n");
}

TEST(EmptyNullCopy, AnEscapeSwitchesTheRestOfTheRowToFieldByField) {
  const auto qc = three_columns();
  // A backslash in the first field, in the last one, and at the end of a value.
  EXPECT_EQ(staged("1\\x\t2024-01-01\t\n", qc), "1\\\\x\t2024-01-01\t\n");
  EXPECT_EQ(staged("1\t2024-01-01\ta\\b\n", qc), "1\t2024-01-01\ta\\\\b\n");
  EXPECT_EQ(staged("1\t2024-01-01\tc:\\dir\\\n4\t2024-01-04\tok\n", qc),
            "1\t2024-01-01\tc:\\\\dir\\\\\n4\t2024-01-04\tok\n");
  // An empty value after the switch stays empty (NULL), not \N.
  EXPECT_EQ(staged("1\\\t2024-01-01\t\n", qc), "1\\\\\t2024-01-01\t\n");
}

TEST(EmptyNullCopy, CrlfRowsLoseTheCarriageReturn) {
  const auto qc = three_columns();
  EXPECT_EQ(staged("1\t2024-01-01\tab\r\n2\t2024-01-02\t\r\n", qc), "1\t2024-01-01\tab\n2\t2024-01-02\t\n");
}

TEST(EmptyNullCopy, RaggedAndFailingRowsAreNotStaged) {
  auto qc = three_columns();
  qc.expected_range = DateRange::month(2024, 1);
  EXPECT_EQ(staged("1\t2024-01-01\ta\n2\t2024-01-02\n3\t2024-01-03\tc\td\n4\t2024-02-01\td\n\t2024-01-05\te\n"
                   "6\t2024-01-06\tf\n",
                   qc),
            "1\t2024-01-01\ta\n6\t2024-01-06\tf\n");
}

ChunkScanResult scan_staged(const std::string& text, const QcSettings& qc) {
  ScanConfig cfg;
  cfg.qc = &qc;
  cfg.encode_copy = true;
  cfg.empty_null_copy = true;
  ChunkScanResult r;
  scan_chunk(text.data(), text.size(), cfg, r);
  return r;
}

TEST(EmptyNullCopy, AChunkOfWholeRowsIsItsOwnCopyTextAndNothingIsCopied) {
  const auto qc = three_columns();
  const auto r = scan_staged("1\t2024-01-01\tab\n2\t2024-01-02\t\n", qc);
  EXPECT_TRUE(r.copy_is_input);
  EXPECT_EQ(r.copy_size, 0u);
  EXPECT_EQ(r.rows, 2u);
}

TEST(EmptyNullCopy, TheRowsBeforeAnEscapeOrABadRowAreCopiedOnce) {
  auto qc = three_columns();
  qc.expected_range = DateRange::month(2024, 1);
  const auto escaped = scan_staged("1\t2024-01-01\ta\n2\t2024-01-02\tb\\c\n3\t2024-01-03\tc\n", qc);
  EXPECT_FALSE(escaped.copy_is_input);
  EXPECT_EQ(std::string(escaped.copy.data(), escaped.copy_size),
            "1\t2024-01-01\ta\n2\t2024-01-02\tb\\\\c\n3\t2024-01-03\tc\n");
  // A bad value after the switch to field by field drops its row only.
  const auto both = scan_staged("1\t2024-01-01\ta\n2\\x\t2024-03-01\tb\n3\t2024-01-03\tc\n", qc);
  EXPECT_EQ(std::string(both.copy.data(), both.copy_size), "1\t2024-01-01\ta\n3\t2024-01-03\tc\n");
  const auto bad = scan_staged("1\t2024-01-01\ta\n2\t2024-02-01\tb\n3\t2024-01-03\tc\n", qc);
  EXPECT_FALSE(bad.copy_is_input);
  EXPECT_EQ(std::string(bad.copy.data(), bad.copy_size), "1\t2024-01-01\ta\n3\t2024-01-03\tc\n");
}

TEST(EmptyNullCopy, ALastRowWithoutItsNewlineGetsOne) {
  const auto qc = three_columns();
  const auto r = scan_staged("1\t2024-01-01\ta\n2\t2024-01-02\tb", qc);
  EXPECT_FALSE(r.copy_is_input);
  EXPECT_EQ(std::string(r.copy.data(), r.copy_size), "1\t2024-01-01\ta\n2\t2024-01-02\tb\n");
}

TEST(EmptyNullCopy, OnlyForTabSeparatedFilesWithoutAMarkerOrEscapes) {
  FileSyntax tsv;
  EXPECT_TRUE(tsv.fits_empty_null_copy_text());
  FileSyntax marker = tsv;
  marker.null_marker = "NULL";
  EXPECT_FALSE(marker.fits_empty_null_copy_text());
  FileSyntax escapes = tsv;
  escapes.backslash_escapes = true;
  escapes.null_marker = "\\N";
  EXPECT_FALSE(escapes.fits_empty_null_copy_text());
  FileSyntax csv = tsv;
  csv.quoted = true;
  csv.delimiter = ',';
  EXPECT_FALSE(csv.fits_empty_null_copy_text());
  // A pipe-separated file is re-encoded with tabs, field by field, and NULL stays \N.
  const auto qc = three_columns();
  EXPECT_EQ(staged("1|2024-01-01|a\tb\n2|2024-01-02|\n", qc, true, '|'), "1\t2024-01-01\ta\\tb\n2\t2024-01-02\t\\N\n");
}

}  // namespace
}  // namespace sluice
