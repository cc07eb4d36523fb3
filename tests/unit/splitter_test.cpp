// Where the Splitter cuts a file: after a newline that ends a row as the chunk scanner reads rows,
// never inside a CSV quoted field, and never by growing the buffer while rows do end.
// Found by the fuzz target tests/fuzz/fuzz_chunk_scanner.cpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loaders/chunk/splitter.h"
#include "loaders/input/byte_source.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

FileSyntax csv() {
  FileSyntax s;
  s.quoted = true;
  s.delimiter = ',';
  return s;
}

// The chunks the Splitter makes of `content`, as strings.
std::vector<std::string> cut(const std::string& content, const FileSyntax& syntax, std::size_t chunk_bytes,
                             std::size_t max_row_bytes = 256u << 20) {
  test::TempDir dir;
  auto source = open_byte_source(dir.write("f.csv", content));
  Splitter splitter(*source, syntax, chunk_bytes, max_row_bytes);
  std::vector<std::string> chunks;
  Chunk chunk;
  while (splitter.next(chunk)) chunks.emplace_back(chunk.data.data(), chunk.size);
  return chunks;
}

TEST(Splitter, CsvQuoteInsideAnUnquotedFieldDoesNotHideTheRowEnd) {
  // The scanner reads 27" as text (a quote opens a quoted field only as its first byte), so row 1
  // ends at its newline and row 2's quoted newline is inside a field. Toggling on every quote cut
  // the 45-byte buffer after "two\n", in the middle of row 2.
  const std::string row1 = "2024-01-01,1,27\" monitor\n";
  const std::string row2 = "2024-01-02,2,\"two\nlines\"\n";
  const std::string row3 = "2024-01-03,3,ok\n";
  EXPECT_EQ(cut(row1 + row2 + row3, csv(), 45), (std::vector<std::string>{row1, row2 + row3}));
}

TEST(Splitter, CsvQuoteInsideAnUnquotedFieldDoesNotGrowTheChunk) {
  // With no later quote to toggle back, every newline after 27" looked quoted: the buffer grew to
  // max_row_bytes and the file was refused as "a row longer than ..." although no row is long.
  std::string content = "1,27\" monitor\n";
  for (int i = 0; i < 100; ++i) content += "2,plain row\n";  // 1214 bytes in all
  const auto chunks = cut(content, csv(), 64, 1024);
  ASSERT_EQ(chunks.size(), 21u);
  EXPECT_EQ(chunks[0], "1,27\" monitor\n2,plain row\n2,plain row\n2,plain row\n2,plain row\n");
  for (const auto& c : chunks) EXPECT_LE(c.size(), 64u);
}

TEST(Splitter, CsvLoneCarriageReturnAfterAQuotedFieldEndsTheRow) {
  // The scanner ends a row at a CR that follows a closing quote (old Mac line ends); the quoted
  // newline in the row after it is inside a field: the first cut is after c", not after b.
  EXPECT_EQ(cut("\"a\"\r\"b\nc\"\n\"d\"\n", csv(), 12),
            (std::vector<std::string>{"\"a\"\r\"b\nc\"\n", "\"d\"\n"}));
}

TEST(Splitter, CsvDoubledQuotesStayInsideTheField) {
  const std::string row1 = "1,\"say \"\"hi\n\"\" there\"\n";
  const std::string row2 = "2,x\n";
  EXPECT_EQ(cut(row1 + row2, csv(), 24), (std::vector<std::string>{row1, row2}));
}

TEST(Splitter, ByteOrderMarkIsNotPartOfTheFirstField) {
  // The engine drops the BOM, so the scanner reads "a\nbb..." as one quoted field. Read from the
  // file's first byte, the field would start with the BOM and its quote be text: a cut after "a\n".
  const std::string bom = "\xEF\xBB\xBF";
  const std::string row1 = "\"a\n" + std::string(20, 'b') + "\",1\n";
  EXPECT_EQ(cut(bom + row1 + "c,2\n", csv(), 16), (std::vector<std::string>{bom + row1, "c,2\n"}));
}

TEST(Splitter, RowLengthReadsRowsAsTheScannerDoes) {
  std::uint64_t quoted_newlines = 99;
  EXPECT_EQ(row_length("\"a\nb\",\"\n\"\r\nnext\n", 16, csv(), &quoted_newlines), 11u);
  EXPECT_EQ(quoted_newlines, 2u);
  EXPECT_EQ(row_length("\"a\"\rnext\n", 9, csv(), &quoted_newlines), 4u);  // a lone CR after a quote
  EXPECT_EQ(quoted_newlines, 0u);
  EXPECT_EQ(row_length("\"a\"\r", 4, csv()), 0u);      // the LF of a CR LF may be in the next read
  EXPECT_EQ(row_length("\"open\n", 6, csv()), 0u);       // the quoted field goes on
  EXPECT_EQ(row_length("27\" x\ny\"\n", 9, csv()), 6u);  // a quote inside a field is text
  EXPECT_EQ(row_length("a\"b\tc\nd\n", 8, FileSyntax{}), 6u);  // TSV: the first newline
}

TEST(Splitter, RowLengthEndsRowsAtEveryKindOfLineEnd) {
  const FileSyntax tsv;
  EXPECT_EQ(row_length("a\tb\rc\n", 6, tsv), 4u);        // a lone CR
  EXPECT_EQ(row_length("a\r\nc\n", 5, tsv), 3u);         // CR LF
  EXPECT_EQ(row_length("a\r\r\nc\n", 6, tsv), 4u);      // CR CR LF: one line end
  EXPECT_EQ(row_length("a\r\rc\n", 5, tsv), 2u);         // CR CR then text: two
  EXPECT_EQ(row_length("a\r\r", 3, tsv), 0u);             // an LF may follow in the next read
  EXPECT_EQ(row_length("a,b\rc", 5, csv()), 4u);
  std::uint64_t quoted_newlines = 0;
  EXPECT_EQ(row_length("\"x\ry\r\nz\",1\rnext", 14, csv(), &quoted_newlines), 11u);
  EXPECT_EQ(quoted_newlines, 2u);  // the lone CR and the CR LF inside the quotes
}

TEST(Splitter, CutsAfterALoneCarriageReturn) {
  // An old Mac file has no LF at all: cut at its CRs, never between the CR and LF of a CR LF.
  std::string content;
  for (int i = 0; i < 20; ++i) content += "row " + std::to_string(i) + "\tvalue\r";
  const auto chunks = cut(content, FileSyntax{}, 32, 256);
  ASSERT_GT(chunks.size(), 5u);
  std::string joined;
  for (const auto& c : chunks) {
    EXPECT_EQ(c.back(), '\r');
    joined += c;
  }
  EXPECT_EQ(joined, content);
  EXPECT_EQ(cut("ab\r\ncd\r\n", FileSyntax{}, 3, 64), (std::vector<std::string>{"ab\r\n", "cd\r\n"}));
}

TEST(Splitter, BlankLinesAtAChunksEndGoWithTheNextChunk) {
  // The scanner drops blank lines at the end of what it scans as the end of the file; inside the
  // file they are rows, so only the last chunk may end with them (and may be nothing else).
  for (const FileSyntax& syntax : {FileSyntax{}, csv()}) {
    const auto chunks = cut("a,1\n\r\n\n\rb,2\n\n\n", syntax, 8);
    EXPECT_EQ(chunks, (std::vector<std::string>{"a,1\n", "\r\n\n\rb,2\n", "\n\n"}));
  }
}

TEST(Splitter, HeaderSpanSkipsBlankLinesAndAQuotedNewline) {
  const std::string text = "\r\n\n\"a\nb\",c\r\n1,2\n";
  const HeaderSpan h = header_span(text.data(), text.size(), csv());
  EXPECT_EQ(h.start, 3u);
  EXPECT_EQ(std::string(text.data() + h.start, h.size), "\"a\nb\",c");
  EXPECT_EQ(h.skip, 12u);
  EXPECT_EQ(h.line, 3u);
  EXPECT_EQ(h.lines, 4u);
}

TEST(Splitter, ChunksConcatenateToTheFile) {
  std::string content;
  for (int i = 0; i < 300; ++i) content += std::to_string(i) + ",\"q\nq\"," + std::string(i % 13, 'x') + "\r\n";
  std::string joined;
  for (const auto& c : cut(content, csv(), 64)) {
    EXPECT_EQ(c.back(), '\n');
    joined += c;
  }
  EXPECT_EQ(joined, content);
}

}  // namespace
}  // namespace sluice
