// Real-world CSV dialects (issue 12, point 10; the files of the peer corpus in small): line ends
// of every kind are row ends, blank lines at the end are not rows, no CR is left in a value, a NUL
// is a finding at its line and column, the sniffer splits fields as the reader does, and a quote
// RFC 4180 does not allow is a warning naming where it is. The engine runs as a load runs it
// (run_pipeline with COPY text); the sniffer's cases go through `sluice analyze --json`.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/run_sluice.h"
#include "tests/support/scan_file.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

using nlohmann::json;

// Columns DAY, ID (required), NOTE unless `columns` says otherwise.
test::ScannedFile scan(const std::string& content, const FileSyntax& syntax, std::size_t chunk,
                       const std::vector<std::string>& columns = {}) {
  return test::scan_file(content, syntax, columns.empty() ? test::day_id_note_qc() : test::columns_qc(columns), chunk, 2);
}

FileSyntax tsv() { return FileSyntax{}; }

// A string literal with NUL bytes in it, whole.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

FileSyntax csv(char delimiter = ',') { return test::csv_syntax(delimiter); }

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

class CsvDialectsAnalyze : public ::testing::Test {
 protected:
  json analyze(const std::string& name, const std::string& content, int expected_exit = 0) {
    const auto file = dir_.write(name, content);
    test::RunOptions o;
    o.env = {{"XDG_STATE_HOME", (dir_ / "state").string()}, {"XDG_CONFIG_HOME", (dir_ / "config").string()}};
    o.cwd = dir_.path();
    const auto r = test::run_sluice({"--progress", "none", "analyze", file.string(), "--json"}, o);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }
  test::TempDir dir_{"sluice-dialects"};
};

TEST_F(CsvDialectsAnalyze, BareCrFileIsReadAsItsRows) {
  // lineitem-carriage.csv in small: was read as 1 row of 2 * 4 - 1 = 7 columns.
  const json j = analyze("carriage.csv", "l_orderkey|l_partkey|l_comment\r1|155190|to beans\r1|67310|quick\r2|106170|slyly\r");
  EXPECT_EQ(j.at("syntax").at("delimiter"), "|");
  EXPECT_EQ(j.at("syntax").at("header"), true);
  EXPECT_EQ(j.at("column_count"), 3);
  EXPECT_EQ(j.at("rows"), 3);
  EXPECT_EQ(j.at("malformed_rows"), 0);
  EXPECT_EQ(j.at("columns")[2].at("max"), "to beans");
  EXPECT_NE(j.at("sniff").at("reason").get<std::string>().find("CR line ends"), std::string::npos) << j.at("sniff");
}

TEST_F(CsvDialectsAnalyze, SnifferIgnoresDelimitersInsideQuotes) {
  // quoted_values_delimited.csv: every line is one quoted value holding semicolons. The sniffer
  // counted three ;-separated columns, and the reader, which honours the quotes, then found one
  // field in every row.
  const json j = analyze("q.csv", "\"header1;header2;header3\"\n\"value1;value2;value3\"\n\"value1;value2;value3\"\n");
  EXPECT_EQ(j.at("column_count"), 1);
  EXPECT_EQ(j.at("syntax").at("quoted"), true);
  EXPECT_EQ(j.at("malformed_rows"), 0);
  EXPECT_EQ(j.at("rows").get<int>() + (j.at("syntax").at("header") ? 1 : 0), 3);
  EXPECT_EQ(j.at("columns")[0].at("max"), "value1;value2;value3");

  // Quotes that are not all RFC 4180 quoting (a title that starts with one) do not decide the split
  // on their own.
  const json t = analyze("titles.tsv", "id\ttitle\tyear\n1\t\"Weird\" Al\t1999\n2\tPlain\t2000\n3\tOther\t2001\n");
  EXPECT_EQ(t.at("syntax").at("delimiter"), "\t");
  EXPECT_EQ(t.at("column_count"), 3);
  EXPECT_EQ(t.at("malformed_rows"), 0);
}

TEST_F(CsvDialectsAnalyze, SnifferAndReaderAgreeOnACrFileWithQuotedFields) {
  // auto/multi_column_string_r.csv in small: CR line ends, pipes, quoted strings.
  const json j = analyze("r.csv", "1|6370|371|\"p1\"\r10|214|465|\"p2\"\r100|2403|160|\"p3\"\r1000|1564|67|\"p4\"");
  EXPECT_EQ(j.at("syntax").at("delimiter"), "|");
  EXPECT_EQ(j.at("column_count"), 4);
  EXPECT_EQ(j.at("rows"), 4);
  EXPECT_EQ(j.at("malformed_rows"), 0);
  EXPECT_EQ(j.at("columns")[3].at("min"), "p1");
}

TEST_F(CsvDialectsAnalyze, NulByteIsAFindingAtItsLineAndColumnLikeAnInvalidByte) {
  // nullbyte.csv: analyze refused the file ("byte 21 is NUL: not a text file").
  const json nul = analyze("nul.csv", bytes("col1|col2|col3\nval1|val\0" "2|val3\nval4|val5|val6\n"));
  const json bad = analyze("latin.csv", "col1|col2|col3\nval1|val\xE9" "2|val3\nval4|val5|val6\n");
  ASSERT_FALSE(nul.is_null());
  ASSERT_FALSE(bad.is_null());
  EXPECT_EQ(nul.at("rows"), 2);
  EXPECT_EQ(nul.at("column_count"), 3);
  const json& f = nul.at("qc").at("findings");
  ASSERT_EQ(f.size(), 1u) << f;
  EXPECT_EQ(f[0].at("check"), "invalid_utf8");
  EXPECT_EQ(f[0].at("examples")[0].at("line"), 2);
  EXPECT_EQ(f[0].at("examples")[0].at("column"), 9);
  EXPECT_EQ(f[0].at("examples")[0].at("note"), "byte 0x00");
  // The same shape as the finding for a byte that is not UTF-8, at the same place.
  const json& g = bad.at("qc").at("findings")[0];
  EXPECT_EQ(f[0].at("check"), g.at("check"));
  EXPECT_EQ(f[0].at("examples")[0].at("line"), g.at("examples")[0].at("line"));
  EXPECT_EQ(f[0].at("examples")[0].at("column"), g.at("examples")[0].at("column"));

  // In the header row too (nullbyte_header.csv), which the scan does not walk.
  const json header = analyze("nulhead.csv", bytes("col1|col\0" "2\nval1|val2\n"));
  ASSERT_FALSE(header.is_null());
  const json& h = header.at("qc").at("findings");
  ASSERT_EQ(h.size(), 1u) << h;
  EXPECT_EQ(h[0].at("check"), "invalid_utf8");
  EXPECT_EQ(h[0].at("examples")[0].at("line"), 1);
  EXPECT_EQ(h[0].at("examples")[0].at("column"), 9);
}

TEST_F(CsvDialectsAnalyze, Utf16IsRefusedWithWhatToDo) {
  analyze("u16.csv", bytes("\xFF\xFE" "a\0,\0b\0\n\0"), 2);
  const auto r = test::run_sluice({"--progress", "none", "analyze", (dir_ / "u16.csv").string()});
  EXPECT_NE(r.err.find("UTF-16 (a byte order mark at line 1, column 1)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("iconv -f UTF-16 -t UTF-8"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sluice
