// Real-world CSV dialects (issue 12, point 10; the files of the peer corpus in small): line ends
// of every kind are row ends, blank lines at the end are not rows, no CR is left in a value, and a
// quote RFC 4180 does not allow is a warning naming where it is. The engine runs as a load runs it
// (run_pipeline with COPY text).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/support/scan_file.h"

namespace sluice {
namespace {

// Columns DAY, ID (required), NOTE unless `columns` says otherwise.
test::ScannedFile scan(const std::string& content, const FileSyntax& syntax, std::size_t chunk,
                       const std::vector<std::string>& columns = {}) {
  QcSettings qc = test::day_id_note_qc();
  if (!columns.empty()) {
    qc = QcSettings{};
    qc.column_names = columns;
    qc.required.assign(columns.size(), false);
  }
  return test::scan_file(content, syntax, qc, chunk, 2);
}

FileSyntax tsv() { return FileSyntax{}; }

FileSyntax csv(char delimiter = ',') {
  FileSyntax s;
  s.quoted = true;
  s.delimiter = delimiter;
  return s;
}

// Small chunks put line ends and blank lines at chunk edges; a big one holds the whole file.
constexpr std::size_t kChunks[] = {64, 1u << 20};

TEST(CsvDialects, BareCrLineEndsAreRows) {
  // Old Mac exports end every line with a CR alone. Read as one row, the file used to be a single
  // row of as many fields as the file had.
  for (const std::size_t chunk : kChunks) {
    auto t = scan("2024-01-01\t1\ta\r2024-01-02\t2\tb\r2024-01-03\t\tc\r", tsv(), chunk);
    EXPECT_EQ(t.result.rows, 3u) << chunk;
    EXPECT_EQ(t.findings(), "required_empty:1@3:12;") << chunk;  // line 3: lines are counted at CRs
    EXPECT_EQ(t.copy, "2024-01-01\t1\ta\n2024-01-02\t2\tb\n") << chunk;  // a row with an error is not sent

    auto c = scan("2024-01-01,1,\"a,b\"\r2024-01-02,2,\"c\rd\"\r2024-01-03,,e", csv(), chunk);
    EXPECT_EQ(c.result.rows, 3u) << chunk;
    EXPECT_EQ(c.findings(), "required_empty:1@4:12;") << chunk;  // the quoted CR is a line too
    EXPECT_EQ(c.copy, "2024-01-01\t1\ta,b\n2024-01-02\t2\tc\\rd\n") << chunk;
  }
}

TEST(CsvDialects, MixedLfCrlfAndCrLineEndsAreRows) {
  const std::string rows = "2024-01-01,1,a\n2024-01-02,2,b\r\n2024-01-03,3,c\r2024-01-04,,d\n2024-01-05,5,e\r";
  for (const std::size_t chunk : kChunks) {
    for (const FileSyntax& syntax : {csv(), tsv()}) {
      std::string content = rows;
      if (!syntax.quoted) std::replace(content.begin(), content.end(), ',', '\t');
      auto s = scan(content, syntax, chunk);
      EXPECT_EQ(s.result.rows, 5u) << chunk;
      EXPECT_EQ(s.findings(), "required_empty:1@4:12;") << chunk;
      EXPECT_EQ(s.copy, "2024-01-01\t1\ta\n2024-01-02\t2\tb\n2024-01-03\t3\tc\n2024-01-05\t5\te\n") << chunk;
    }
  }
}

TEST(CsvDialects, CrCrLfLeavesNoCarriageReturnInValues) {
  // A CRLF file converted once more ends its lines with CR CR LF; the first CR used to stay at the
  // end of each row's last value.
  for (const std::size_t chunk : kChunks) {
    for (const FileSyntax& syntax : {csv(), tsv()}) {
      const char d = syntax.delimiter;
      const std::string content = std::string("2024-01-01") + d + "1" + d + "one\r\r\n2024-01-02" + d + "2" + d +
                                  "two\r\r\n2024-01-03" + d + d + "three";
      auto s = scan(content, syntax, chunk);
      EXPECT_EQ(s.result.rows, 3u) << chunk;
      EXPECT_EQ(s.findings(), "required_empty:1@3:12;") << chunk;
      EXPECT_EQ(s.copy, "2024-01-01\t1\tone\n2024-01-02\t2\ttwo\n") << chunk;
    }
  }
}

TEST(CsvDialects, TrailingBlankCrlfLinesAreNotRows) {
  // Editors and exports leave blank lines at the end; they used to be rows of no fields, and the
  // field count check failed the file.
  for (const std::size_t chunk : kChunks) {
    auto s = scan("2024-01-01,1,a\r\n2024-01-02,2,b\r\n\r\n\r\n\r\n", csv(), chunk);
    EXPECT_EQ(s.result.rows, 2u) << chunk;
    EXPECT_EQ(s.findings(), "") << chunk;
    EXPECT_TRUE(s.result.qc.passed()) << chunk;
    EXPECT_EQ(s.copy, "2024-01-01\t1\ta\n2024-01-02\t2\tb\n") << chunk;

    std::string many = "2024-01-01\t1\ta\n";  // blank lines beyond a chunk, in LF, CR and CRLF
    for (int i = 0; i < 100; ++i) many += i % 3 == 0 ? "\n" : i % 3 == 1 ? "\r" : "\r\n";
    auto t = scan(many, tsv(), chunk);
    EXPECT_EQ(t.result.rows, 1u) << chunk;
    EXPECT_EQ(t.findings(), "") << chunk;
    EXPECT_EQ(t.copy, "2024-01-01\t1\ta\n") << chunk;

    // One column: a blank line is a NULL value inside the file, nothing at its end.
    auto one = scan("x\r\n\r\ny\r\n\r\n\r\n", csv(), chunk, {"V"});
    EXPECT_EQ(one.result.rows, 3u) << chunk;
    EXPECT_EQ(one.copy, "x\n\\N\ny\n") << chunk;
  }
}

TEST(CsvDialects, BlankLinesInsideTheDataAreStillReported) {
  for (const std::size_t chunk : kChunks) {
    auto s = scan("2024-01-01,1,a\r\n\r\n\r\n2024-01-02,2,b\r\n\r\n", csv(), chunk);
    EXPECT_EQ(s.result.rows, 4u) << chunk;
    EXPECT_EQ(s.findings(), "column_count:2@2:0,3:0;") << chunk;
    EXPECT_EQ(s.result.qc.findings[0].examples[0].note, "blank line") << chunk;
    EXPECT_EQ(s.result.qc.findings[0].details, (std::vector<std::string>{"2 rows with 0 fields"})) << chunk;
  }
}

TEST(CsvDialects, QuoteInsideAnUnquotedFieldIsAWarningNamingItsLineAndColumn) {
  // Read as PostgreSQL's CSV reader and Python's csv module read them (the quote is text, text
  // after a closing quote is kept), so the rows load; but the producer probably meant something
  // else (a backslash escape, a forgotten doubling), and nothing used to say so.
  const std::string content =
      "2024-01-01,1,27\" monitor\n"           // line 1: a quote inside an unquoted field, column 16
      "2024-01-02,2,\"Pedro \"the\" legend\"\n"  // line 2: text after the closing quote at column 21
      "2024-01-03,3,\"two\nlines\"x\n"          // lines 3-4: the closing quote is on line 4, column 6
      "2024-01-04,4,\"fine \"\"quoted\"\"\"\n";   // line 5: doubled quotes are RFC 4180
  for (const std::size_t chunk : kChunks) {
    auto s = scan(content, csv(), chunk);
    EXPECT_EQ(s.findings(), "stray_quote:3@1:16,2:21,4:6;") << chunk;
    ASSERT_EQ(s.result.qc.findings.size(), 1u);
    const Finding& f = s.result.qc.findings[0];
    EXPECT_EQ(f.severity, Severity::warning);
    EXPECT_EQ(f.examples[0].field, 3);
    EXPECT_EQ(f.examples[0].note, "quote inside an unquoted field");
    EXPECT_EQ(f.examples[1].note, "text after the closing quote");
    EXPECT_EQ(f.examples[1].value, "Pedro the\" legend\"");
    EXPECT_TRUE(s.result.qc.passed()) << chunk;
    EXPECT_EQ(s.result.rows, 4u);
    EXPECT_EQ(s.copy,
              "2024-01-01\t1\t27\" monitor\n2024-01-02\t2\tPedro the\" legend\"\n2024-01-03\t3\ttwo\\nlinesx\n"
              "2024-01-04\t4\tfine \"quoted\"\n")
        << chunk;
  }
}

}  // namespace
}  // namespace sluice
