// The row walker (loaders/csv/row_walker.h), the one reader of rows: what a visitor is told, where
// a value lies, what is copied, and the fast reading of quotes against the exact one where a quote
// is not where RFC 4180 puts quotes, also across the 64-byte blocks the walker classifies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loaders/csv/row_walker.h"

namespace sluice {
namespace {

FileSyntax csv(char delimiter = ',', char quote = '"') {
  FileSyntax s;
  s.quoted = true;
  s.delimiter = delimiter;
  s.quote = quote;
  return s;
}

FileSyntax tsv() { return FileSyntax{}; }

struct Field {
  std::string value;
  bool quoted = false;
  bool in_place = false;  // the value points into the input, not into the scratch
  bool needs_escape = false;
};

// Everything the walker says, as values a test compares.
struct Log : RowVisitor {
  Log(const std::string& input, std::size_t stop_after = SIZE_MAX) : in(input), stop_after(stop_after) {}
  void begin_row(const char* row, std::uint64_t line) { rows.push_back({static_cast<std::size_t>(row - in.data()), line}); }
  void field(const char* value, std::size_t size, bool quoted, const char*, bool needs_escape) {
    const bool in_place = value >= in.data() && value <= in.data() + in.size();
    fields.push_back({std::string(value, size), quoted, in_place, needs_escape});
  }
  void stray_quote(std::uint64_t line, const char* line_start, const char* quote, const char*, std::size_t,
                   const char* note) {
    strays.push_back(std::to_string(line) + ":" + std::to_string(quote - line_start + 1) + " " + note);
  }
  void unterminated_quote(const char*, const char*) { ++unterminated; }
  bool end_row(const char* text_end, const char* next, std::uint64_t line) {
    ends.push_back({static_cast<std::size_t>(text_end - in.data()), static_cast<std::size_t>(next - in.data()), line});
    return ends.size() < stop_after;
  }
  std::vector<std::string> values() const {
    std::vector<std::string> v;
    for (const auto& f : fields) v.push_back(f.value);
    return v;
  }

  struct Start {
    std::size_t at;
    std::uint64_t line;
  };
  struct End {
    std::size_t text_end, next;
    std::uint64_t line;
  };
  const std::string& in;
  std::size_t stop_after;
  std::vector<Start> rows;
  std::vector<Field> fields;
  std::vector<End> ends;
  std::vector<std::string> strays;
  int unterminated = 0;
};

WalkEnd walk(const std::string& in, const FileSyntax& syntax, Log& log, WalkOptions o = {}) {
  std::string scratch;
  return walk_rows(in.data(), in.data() + in.size(), syntax, o, scratch, log);
}

TEST(RowWalker, AQuotedValueWithoutAPairIsHandedOnWhereItLies) {
  const std::string in = "\"a,b\",\"x\"\"y\",plain\n";
  Log log(in);
  walk(in, csv(), log);
  ASSERT_EQ(log.values(), (std::vector<std::string>{"a,b", "x\"y", "plain"}));
  EXPECT_TRUE(log.fields[0].quoted && log.fields[0].in_place);
  EXPECT_TRUE(log.fields[1].quoted);
  EXPECT_FALSE(log.fields[1].in_place);  // "" is one quote: that value is copied
  EXPECT_TRUE(!log.fields[2].quoted && log.fields[2].in_place);
}

TEST(RowWalker, NeedsEscapeOnlyForValuesHoldingABytePostgresEscapes) {
  WalkOptions o;
  o.escapes = true;
  const std::string in = "plain,a\\b,\"q\tt\",\"two\nlines\",\"x\"\"y\",last\n";
  Log log(in);
  walk(in, csv(), log, o);
  ASSERT_EQ(log.fields.size(), 6u);
  EXPECT_FALSE(log.fields[0].needs_escape);
  EXPECT_TRUE(log.fields[1].needs_escape);   // a backslash
  EXPECT_TRUE(log.fields[2].needs_escape);   // a tab
  EXPECT_TRUE(log.fields[3].needs_escape);   // a line end inside the quotes
  EXPECT_FALSE(log.fields[5].needs_escape);
  // With tab as the delimiter, a quoted tab is the value's: it is escaped.
  const std::string tabs = "\"a\tb\"\tc\n";
  Log t(tabs);
  walk(tabs, csv('\t'), t, o);
  ASSERT_EQ(t.values(), (std::vector<std::string>{"a\tb", "c"}));
  EXPECT_TRUE(t.fields[0].needs_escape);
  EXPECT_FALSE(t.fields[1].needs_escape);
}

TEST(RowWalker, QuotedLineEndsCountAsLinesOfTheirRow) {
  const std::string in = "1,\"a\r\nb\rc\nd\"\n2,x\n";
  Log log(in);
  const WalkEnd w = walk(in, csv(), log);
  ASSERT_EQ(log.rows.size(), 2u);
  EXPECT_EQ(log.rows[0].line, 0u);
  EXPECT_EQ(log.ends[0].line, 3u);  // CR LF, CR and LF inside the quotes: three more lines
  EXPECT_EQ(log.rows[1].line, 4u);
  EXPECT_EQ(w.lines, 5u);
  EXPECT_EQ(w.rows_end, in.data() + in.size());
}

TEST(RowWalker, StrayQuotesAreTextNamedAtTheirLineAndColumn) {
  // A quote inside an unquoted field, and text after a closing quote, on the second line of a row
  // whose first field holds a line break.
  const std::string in = "\"a\nb\",27\" x,\"q\"tail\n";
  Log log(in);
  walk(in, csv(), log);
  EXPECT_EQ(log.values(), (std::vector<std::string>{"a\nb", "27\" x", "qtail"}));
  EXPECT_EQ(log.strays, (std::vector<std::string>{"1:6 quote inside an unquoted field",
                                                  "1:12 text after the closing quote"}));
  EXPECT_EQ(log.ends[0].line, 1u);
}

TEST(RowWalker, AStrayQuoteIsReadExactlyAndTheRestOfTheBlockFast) {
  // The fast reading (every quote toggles) is wrong from a stray quote on: the field holding it is
  // read byte by byte, and the quoted fields after it, in the same 64-byte block and the next, are
  // read as they are.
  std::string in = "ab\"c,\"d,e\",f\n";
  for (int i = 0; i < 10; ++i) in += "\"x" + std::to_string(i) + "\",\"y,\"\"z\"\"\"\n";
  Log log(in);
  walk(in, csv(), log);
  ASSERT_EQ(log.fields.size(), 3u + 20u);
  EXPECT_EQ(log.values()[0], "ab\"c");
  EXPECT_EQ(log.values()[1], "d,e");
  EXPECT_EQ(log.values()[2], "f");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(log.fields[3 + 2 * i].value, "x" + std::to_string(i));
    EXPECT_EQ(log.fields[4 + 2 * i].value, "y,\"z\"");
  }
  EXPECT_EQ(log.strays.size(), 1u);
}

TEST(RowWalker, AClosingQuoteWithTextAfterItAtABlockEdge) {
  // The check of what follows a closing quote looks at the next block's first byte.
  for (std::size_t pad = 55; pad < 70; ++pad) {
    const std::string in = std::string(pad, 'p') + ",\"ab\"c,\"d\"\n";
    Log log(in);
    walk(in, csv(), log);
    ASSERT_EQ(log.values(), (std::vector<std::string>{std::string(pad, 'p'), "abc", "d"})) << pad;
    EXPECT_EQ(log.strays, (std::vector<std::string>{"0:" + std::to_string(pad + 5) + " text after the closing quote"}));
  }
}

TEST(RowWalker, PairsAndLineEndsAcrossBlockEdges) {
  // A pair "" whose quotes are the last byte of one 64-byte block and the first of the next, at
  // every offset; and a CR LF inside quotes split the same way.
  for (std::size_t pad = 50; pad < 70; ++pad) {
    const std::string in = std::string(pad, 'p') + ",\"a\"\"b\r\nc\"," + "z\n";
    Log log(in);
    walk(in, csv(), log);
    ASSERT_EQ(log.values(), (std::vector<std::string>{std::string(pad, 'p'), "a\"b\r\nc", "z"})) << pad;
    EXPECT_EQ(log.ends[0].line, 1u) << pad;
  }
}

TEST(RowWalker, UnterminatedQuoteRunsToTheEndOfTheText) {
  const std::string in = "1,\"open\nstill \"\"open\n";
  Log log(in);
  const WalkEnd w = walk(in, csv(), log);
  EXPECT_EQ(log.unterminated, 1);
  EXPECT_EQ(log.values(), (std::vector<std::string>{"1", "open\nstill \"open\n"}));
  EXPECT_EQ(log.ends[0].text_end, in.size() - 1);  // the row's text: its last line end left out
  EXPECT_EQ(w.lines, 3u);
  // Not the end of the text: the row is left for bytes not read yet.
  WalkOptions more;
  more.end_of_text = false;
  Log partial(in);
  const WalkEnd p = walk(in, csv(), partial, more);
  EXPECT_EQ(partial.unterminated, 0);
  EXPECT_TRUE(partial.ends.empty());
  EXPECT_EQ(p.rows_end, in.data());
}

TEST(RowWalker, EndOfTextRulesForLineEndsAndBlankLines) {
  const std::string in = "a\r\n\r\nb\r\r\n\n\r";  // a blank line inside, blank lines at the end
  Log log(in);
  const WalkEnd w = walk(in, tsv(), log);
  ASSERT_EQ(log.ends.size(), 3u);
  EXPECT_EQ(log.ends[1].text_end, 3u);  // the blank line is a row with no text
  EXPECT_EQ(log.values(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(w.rows_end, in.data() + 9);  // where the blank lines at the end start
  EXPECT_EQ(w.lines, 5u);
  // A CR at the end of bytes that are not the end of the text may be the first of a CR LF.
  WalkOptions more;
  more.end_of_text = false;
  const std::string cr = "a\nb\r";
  Log p(cr);
  EXPECT_EQ(walk(cr, tsv(), p, more).rows_end, cr.data() + 2);
  EXPECT_EQ(p.ends.size(), 1u);
}

TEST(RowWalker, AVisitorStopsTheWalk) {
  const std::string in = "1\n\"2\n2\"\n3\n";
  Log log(in, 2);
  const WalkEnd w = walk(in, csv(), log);
  EXPECT_EQ(log.ends.size(), 2u);
  EXPECT_EQ(w.rows_end, in.data() + 8);
  EXPECT_EQ(w.lines, 3u);
}

TEST(RowWalker, ALineEndIsOneEvenAsTheDelimiter) {
  // compress counts a TSV's rows with '\n' as the delimiter, so each line is one field.
  FileSyntax lines = tsv();
  lines.delimiter = '\n';
  const std::string in = "a\tb\nc\n";
  Log log(in);
  walk(in, lines, log);
  EXPECT_EQ(log.values(), (std::vector<std::string>{"a\tb", "c"}));
  EXPECT_EQ(log.ends.size(), 2u);
}

TEST(RowWalker, RowLengthAndSplitFieldsAreVisitorsOfTheWalk) {
  std::uint64_t quoted_newlines = 0;
  EXPECT_EQ(row_length("\"a\nb\",1\r\nnext", 14, csv(), &quoted_newlines), 9u);
  EXPECT_EQ(quoted_newlines, 1u);
  // A walk of rows only does not visit delimiters: the quoted line end after a stray quote still
  // counts.
  EXPECT_EQ(row_length("a\"b,\"x\ny\",z\nnext", 16, csv(), &quoted_newlines), 12u);
  EXPECT_EQ(quoted_newlines, 1u);
  RowFields f;
  split_fields("\"a\"\"b\",,'c'", 11, csv(), f);
  EXPECT_EQ(f.values, (std::vector<std::string>{"a\"b", "", "'c'"}));
  EXPECT_EQ(f.quoted, (std::vector<bool>{true, false, false}));
  split_fields("'a,b',x'y", 9, csv(',', '\''), f);
  EXPECT_EQ(f.values, (std::vector<std::string>{"a,b", "x'y"}));
  EXPECT_TRUE(f.stray_quote);
  split_fields("", 0, csv(), f);  // a row with no text is one empty field
  EXPECT_EQ(f.values, (std::vector<std::string>{""}));
}

}  // namespace
}  // namespace sluice
