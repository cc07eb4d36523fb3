// line_of_row names the line a rejected CSV row starts on, reading rows the way the scan numbered
// them: a quote inside an unquoted field is text, a BOM is not data, a header may span lines.
#include <gtest/gtest.h>

#include <string>

#include "loaders/scan/row_locator.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

FileSyntax csv(bool header) {
  FileSyntax s;
  s.quoted = true;
  s.delimiter = ',';
  s.header = header;
  return s;
}

TEST(RowLocator, QuotedNewlinesMoveLaterRowsDown) {
  test::TempDir dir;
  const auto file = dir.write("f.csv", "a,\"x\ny\"\nb,2\nc,\"1\n2\n3\"\nd,4\n");
  const FileSyntax syntax = csv(false);
  EXPECT_EQ(line_of_row(file, syntax, 1), 1u);
  EXPECT_EQ(line_of_row(file, syntax, 2), 3u);
  EXPECT_EQ(line_of_row(file, syntax, 3), 4u);
  EXPECT_EQ(line_of_row(file, syntax, 4), 7u);
  EXPECT_EQ(line_of_row(file, syntax, 5), 0u);
}

TEST(RowLocator, QuoteInsideAnUnquotedFieldIsText) {
  // Toggling on every quote read 27" as opening a field and put rows 2 and 3 on the wrong lines.
  test::TempDir dir;
  const auto file = dir.write("f.csv", "1,27\" monitor\n2,\"two\nlines\"\n3,x\n");
  const FileSyntax syntax = csv(false);
  EXPECT_EQ(line_of_row(file, syntax, 2), 2u);
  EXPECT_EQ(line_of_row(file, syntax, 3), 4u);
}

TEST(RowLocator, MultiLineHeaderAndBomAreSkipped) {
  test::TempDir dir;
  const auto file = dir.write("f.csv", "\xEF\xBB\xBF\"id\",\"long\nname\"\n1,a\n2,\"b\"\"\"\n3,c");
  const FileSyntax syntax = csv(true);
  EXPECT_EQ(line_of_row(file, syntax, 1), 3u);
  EXPECT_EQ(line_of_row(file, syntax, 2), 4u);
  EXPECT_EQ(line_of_row(file, syntax, 3), 5u);  // the last row has no line end
  EXPECT_EQ(line_of_row(file, syntax, 4), 0u);
}

TEST(RowLocator, EveryKindOfLineEndAndBlankLinesBeforeTheHeader) {
  // Lines end at LF, CR LF, a lone CR (quoted too) and CR CR LF, as the scan counts them; blank
  // lines before the header are skipped with it.
  test::TempDir dir;
  const auto file = dir.write("f.csv", "\r\n\nid,v\r1,a\r\n2,\"b\rc\"\r\r\n3,d\n4,e");
  const FileSyntax syntax = csv(true);
  EXPECT_EQ(line_of_row(file, syntax, 1), 4u);
  EXPECT_EQ(line_of_row(file, syntax, 2), 5u);
  EXPECT_EQ(line_of_row(file, syntax, 3), 7u);
  EXPECT_EQ(line_of_row(file, syntax, 4), 8u);
}

}  // namespace
}  // namespace sluice
