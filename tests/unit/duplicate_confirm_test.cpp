// Duplicate keys end to end, as a load finds them: the pipeline's workers hash each row's key, the
// sink feeds the index in file order, and the confirmation pass re-reads the candidate rows. Every
// test asserts exact counts and file line numbers.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "loaders/pipeline.h"
#include "loaders/scan/duplicate_confirm.h"
#include "tests/support/scan_file.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class IndexSink final : public ChunkSink {
 public:
  explicit IndexSink(DuplicateKeyIndex& index) : index_(index) {}
  void consume(const ScannedChunk& c) override {
    auto* o = static_cast<DuplicateKeyObserver*>(c.observer);
    index_.add(o->entries().data(), o->entries().size(), c.first_line);
    o->clear();
  }

 private:
  DuplicateKeyIndex& index_;
};

struct Options {
  std::size_t budget = DuplicateKeyIndex::kDefaultBudget;
  std::size_t chunk_bytes = 1u << 20;
  int workers = 2;
  std::size_t top_n = 10;
  fs::path spill;
};

struct Outcome {
  DuplicateReport report;
  std::uint64_t rows = 0;
  std::uint64_t spilled = 0;
};

Outcome find_duplicates(const fs::path& file, const FileSyntax& syntax, int columns, const std::vector<int>& key,
                        const Options& opt) {
  std::vector<std::string> names;
  for (int i = 0; i < columns; ++i) names.push_back("C" + std::to_string(i));
  PipelineOptions po;
  po.chunk_bytes = opt.chunk_bytes;
  po.workers = opt.workers;
  po.make_observer = [&] { return std::make_unique<DuplicateKeyObserver>(key); };
  const fs::path spill = opt.spill.empty() ? file.parent_path() : opt.spill;
  DuplicateKeyIndex index(spill, opt.budget);
  IndexSink sink(index);
  Outcome out;
  out.rows = test::run_engine(file, syntax, test::columns_qc(names), po, &sink).rows;
  CandidateSet candidates = index.candidates();
  ConfirmOptions co;
  co.spill_dir = spill;
  co.memory_budget = opt.budget;
  co.chunk_bytes = opt.chunk_bytes;
  out.report = confirm_duplicates(file, syntax, key, candidates, opt.top_n, co);
  out.spilled = index.spilled_bytes();
  return out;
}

FileSyntax tsv(bool header = false) {
  FileSyntax s;
  s.header = header;
  return s;
}

FileSyntax csv() {
  FileSyntax s;
  s.quoted = true;
  s.delimiter = ',';
  return s;
}

struct HashBits {  // the collision hook, undone even when an assertion fails
  explicit HashBits(unsigned bits) { set_hash_bits_for_testing(bits); }
  ~HashBits() { set_hash_bits_for_testing(64); }
};

bool empty_dir(const fs::path& d) { return fs::directory_iterator(d) == fs::directory_iterator(); }

std::string row(int i, const std::string& day, const std::string& asset) {
  return std::to_string(i) + "\t" + day + "\t" + asset + "\tnote " + std::to_string(i) + "\n";
}

std::string unique_rows(int n, int from = 0) {
  std::string s;
  for (int i = from; i < from + n; ++i) s += row(i, "2024-01-" + std::to_string(10 + i % 20), "A" + std::to_string(i));
  return s;
}

TEST(DuplicateConfirm, NoDuplicatesNoSecondPass) {
  test::TempDir dir;
  const auto file = dir.write("f.tsv", unique_rows(5000));
  const Outcome o = find_duplicates(file, tsv(), 4, {1, 2}, {});
  EXPECT_EQ(o.rows, 5000u);
  EXPECT_EQ(o.report.duplicate_keys, 0u);
  EXPECT_EQ(o.report.excess_rows, 0u);
  EXPECT_EQ(o.report.candidate_rows, 0u);
  EXPECT_TRUE(o.report.top.empty());
}

TEST(DuplicateConfirm, FirstAndLastRowsWithHeader) {
  test::TempDir dir;
  // Same key on the first data row (line 2) and the last row (line 1002, no final newline).
  std::string body = "ID\tDAY\tASSET\tNOTE\n" + row(0, "2024-01-01", "FIRST") + unique_rows(999, 1);
  body += "9999\t2024-01-01\tFIRST\tlast row";
  const auto file = dir.write("f.tsv", body);
  const Outcome o = find_duplicates(file, tsv(true), 4, {1, 2}, {});
  EXPECT_EQ(o.rows, 1001u);
  EXPECT_EQ(o.report.duplicate_keys, 1u);
  EXPECT_EQ(o.report.excess_rows, 1u);
  EXPECT_EQ(o.report.candidate_rows, 2u);
  ASSERT_EQ(o.report.top.size(), 1u);
  EXPECT_EQ(o.report.top[0].key, "2024-01-01, FIRST");
  EXPECT_EQ(o.report.top[0].count, 2u);
  EXPECT_EQ(o.report.top[0].lines, (std::vector<std::uint64_t>{2, 1002}));
  const Finding f = duplicate_key_finding(o.report, {"DAY", "ASSET"});
  EXPECT_EQ(f.id(), "duplicate_key");
  EXPECT_EQ(f.count, 1u);
  EXPECT_EQ(f.message, "1 key (DAY, ASSET) occurs on more than one row: 1 extra row");
  ASSERT_EQ(f.examples.size(), 1u);
  EXPECT_EQ(f.examples[0].line, 2u);
  EXPECT_EQ(f.examples[0].note, "2 rows, lines 2, 1002");
}

// 20000 unique rows, then: 300 keys once more, 50 keys four more times, one key 99 more times,
// shuffled in. 351 duplicated keys, 300 + 200 + 99 = 599 extra rows.
std::string many_duplicates_file(std::map<std::string, std::vector<std::uint64_t>>& lines_of_key) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (int i = 0; i < 20000; ++i) keys.emplace_back("2024-01-" + std::to_string(10 + i % 20), "A" + std::to_string(i));
  std::vector<std::pair<std::string, std::string>> rows = keys;
  for (int i = 0; i < 300; ++i) rows.push_back(keys[static_cast<std::size_t>(i)]);
  for (int i = 300; i < 350; ++i)
    for (int r = 0; r < 4; ++r) rows.push_back(keys[static_cast<std::size_t>(i)]);
  for (int r = 0; r < 99; ++r) rows.push_back(keys[19999]);
  std::mt19937 rng(7);
  std::shuffle(rows.begin(), rows.end(), rng);
  std::string s;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    s += row(static_cast<int>(i), rows[i].first, rows[i].second);
    lines_of_key[rows[i].first + ", " + rows[i].second].push_back(i + 1);
  }
  return s;
}

void expect_many_duplicates(const Outcome& o, const std::map<std::string, std::vector<std::uint64_t>>& lines_of_key) {
  EXPECT_EQ(o.rows, 20599u);
  EXPECT_EQ(o.report.duplicate_keys, 351u);
  EXPECT_EQ(o.report.excess_rows, 599u);
  ASSERT_EQ(o.report.top.size(), 10u);
  EXPECT_EQ(o.report.top[0].key, "2024-01-29, A19999");
  EXPECT_EQ(o.report.top[0].count, 100u);
  for (std::size_t i = 1; i <= 9; ++i) EXPECT_EQ(o.report.top[i].count, 5u) << i;
  std::uint64_t prev_first = 0;
  for (std::size_t i = 0; i < o.report.top.size(); ++i) {
    const auto& t = o.report.top[i];
    const auto& want = lines_of_key.at(t.key);
    EXPECT_EQ(t.count, want.size());
    EXPECT_EQ(t.lines, std::vector<std::uint64_t>(want.begin(), want.begin() + 5)) << t.key;
    if (i > 1) {
      EXPECT_GT(t.lines[0], prev_first);  // equal counts: earliest first line first
    }
    prev_first = t.lines[0];
  }
}

TEST(DuplicateConfirm, ManyDuplicatesExactAcrossChunksAndWorkers) {
  test::TempDir dir;
  std::map<std::string, std::vector<std::uint64_t>> lines_of_key;
  const auto file = dir.write("f.tsv", many_duplicates_file(lines_of_key));
  for (std::size_t chunk : {std::size_t{4096}, std::size_t{64} << 10, std::size_t{16} << 20}) {
    Options opt;
    opt.chunk_bytes = chunk;
    const Outcome o = find_duplicates(file, tsv(), 4, {1, 2}, opt);
    EXPECT_EQ(o.spilled, 0u);
    expect_many_duplicates(o, lines_of_key);
  }
}

TEST(DuplicateConfirm, TinyBudgetSpillsAndGivesTheSameAnswer) {
  test::TempDir dir, spill;
  std::map<std::string, std::vector<std::uint64_t>> lines_of_key;
  const auto file = dir.write("f.tsv", many_duplicates_file(lines_of_key));
  Options opt;
  opt.budget = 256u << 10;  // the floor: 512 bytes (~55 rows) a partition before it goes to disk
  opt.spill = spill.path();
  const Outcome o = find_duplicates(file, tsv(), 4, {1, 2}, opt);
  EXPECT_GT(o.spilled, 20599u * 8);  // every row, at 8 bytes or more each
  expect_many_duplicates(o, lines_of_key);
  EXPECT_TRUE(empty_dir(spill.path()));  // everything removed when the index and set went away
}

TEST(DuplicateConfirm, HashCollisionsAreNotDuplicates) {
  test::TempDir dir;
  // 16 possible hashes for 20000 distinct keys: every row is a candidate, none is a duplicate,
  // until two real repeats are added.
  std::string body = unique_rows(20000);
  const auto file = dir.write("f.tsv", body);
  HashBits four(4);
  Options opt;
  opt.budget = 1u << 20;  // 20000 keys overflow the grouper's 512 KiB: it sorts them externally
  const Outcome o = find_duplicates(file, tsv(), 4, {1, 2}, opt);
  EXPECT_EQ(o.report.candidate_rows, 20000u);
  EXPECT_EQ(o.report.duplicate_keys, 0u);
  EXPECT_EQ(o.report.excess_rows, 0u);
  body += row(20000, "2024-01-10", "A0") + row(20001, "2024-01-10", "A0") + row(20002, "2024-01-11", "A1");
  const auto file2 = dir.write("g.tsv", body);
  const Outcome o2 = find_duplicates(file2, tsv(), 4, {1, 2}, opt);
  EXPECT_EQ(o2.report.candidate_rows, 20003u);
  EXPECT_EQ(o2.report.duplicate_keys, 2u);
  EXPECT_EQ(o2.report.excess_rows, 3u);
  ASSERT_EQ(o2.report.top.size(), 2u);
  EXPECT_EQ(o2.report.top[0].key, "2024-01-10, A0");
  EXPECT_EQ(o2.report.top[0].lines, (std::vector<std::uint64_t>{1, 20001, 20002}));
  EXPECT_EQ(o2.report.top[1].key, "2024-01-11, A1");
  EXPECT_EQ(o2.report.top[1].lines, (std::vector<std::uint64_t>{2, 20003}));
}

TEST(DuplicateConfirm, NullIsNotTheEmptyString) {
  test::TempDir dir;
  // CSV: ,, is NULL, ,"", is the empty string. Rows 1 and 3 share (NULL, x); rows 2 and 4 share
  // ("", x); 5 is (NULL, NULL) and 6 (NULL, "").
  const std::string body = "1,,x\n2,\"\",x\n3,,x\n4,\"\",x\n5,,\n6,,\"\"\n";
  const auto file = dir.write("f.csv", body);
  for (unsigned bits : {64u, 0u}) {  // 0 bits: everything collides, only the bytes can tell
    HashBits hook(bits);
    const Outcome o = find_duplicates(file, csv(), 3, {1, 2}, {});
    EXPECT_EQ(o.report.candidate_rows, bits ? 4u : 6u) << bits;
    EXPECT_EQ(o.report.duplicate_keys, 2u) << bits;
    EXPECT_EQ(o.report.excess_rows, 2u) << bits;
    ASSERT_EQ(o.report.top.size(), 2u);
    EXPECT_EQ(o.report.top[0].key, "NULL, x");
    EXPECT_EQ(o.report.top[0].lines, (std::vector<std::uint64_t>{1, 3}));
    EXPECT_EQ(o.report.top[1].key, "\"\", x");
    EXPECT_EQ(o.report.top[1].lines, (std::vector<std::uint64_t>{2, 4}));
  }
  // TSV with a null marker: \N and the empty field are both NULL, so the same key.
  FileSyntax s = tsv();
  s.null_marker = "\\N";
  const auto file2 = dir.write("g.tsv", "1\t\\N\tx\n2\t\tx\n3\tNULL\tx\n");
  const Outcome o = find_duplicates(file2, s, 3, {1, 2}, {});
  EXPECT_EQ(o.report.duplicate_keys, 1u);
  EXPECT_EQ(o.report.excess_rows, 1u);
  ASSERT_EQ(o.report.top.size(), 1u);
  EXPECT_EQ(o.report.top[0].lines, (std::vector<std::uint64_t>{1, 2}));
}

TEST(DuplicateConfirm, CsvQuotedKeysWithDelimitersAndNewlines) {
  test::TempDir dir;
  // Key = fields 2 and 3. ("x,y", "z") and ("x", "y,z") differ; row 3 repeats row 1's key with
  // other quoting; a quoted newline in a note makes later rows start a line further down.
  std::string body;
  body += "1,\"x,y\",z,plain\n";           // line 1
  body += "2,x,\"y,z\",\"two\nlines\"\n";  // line 2-3
  body += "3,\"x,y\",\"z\",note\n";        // line 4: same key as line 1
  body += "4,\"say \"\"hi\"\"\",q,n\n";    // line 5
  body += "5,x,\"y,z\",n\r\n";             // line 6: same key as line 2, CRLF
  body += "6,\"say \"\"hi\"\"\",q,n";      // line 7: same key as line 5, no final newline
  const auto file = dir.write("f.csv", body);
  for (unsigned bits : {64u, 2u}) {
    HashBits hook(bits);
    for (std::size_t chunk : {std::size_t{16}, std::size_t{1} << 20}) {
      Options opt;
      opt.chunk_bytes = chunk;
      const Outcome o = find_duplicates(file, csv(), 4, {1, 2}, opt);
      EXPECT_EQ(o.rows, 6u);
      EXPECT_EQ(o.report.duplicate_keys, 3u) << bits << "/" << chunk;
      EXPECT_EQ(o.report.excess_rows, 3u);
      ASSERT_EQ(o.report.top.size(), 3u);
      EXPECT_EQ(o.report.top[0].key, "x,y, z");
      EXPECT_EQ(o.report.top[0].lines, (std::vector<std::uint64_t>{1, 4}));
      EXPECT_EQ(o.report.top[1].key, "x, y,z");
      EXPECT_EQ(o.report.top[1].lines, (std::vector<std::uint64_t>{2, 6}));
      EXPECT_EQ(o.report.top[2].key, "say \"hi\", q");
      EXPECT_EQ(o.report.top[2].lines, (std::vector<std::uint64_t>{5, 7}));
    }
  }
}

TEST(DuplicateConfirm, CrLineEndsAndBlankLinesBeforeTheHeader) {
  // The confirmation pass finds rows by the scan's line numbers, so it must count a lone CR, CR LF
  // and CR CR LF as the scan does, and skip blank lines before the header with it; otherwise it
  // stops with "file changed" at the first candidate.
  test::TempDir dir;
  for (const bool quoted : {false, true}) {
    const char d = quoted ? ',' : '\t';
    std::string body = std::string("\r\nID") + d + "KEY\r";                // lines 1-2
    body += std::string("1") + d + "a\r2" + d + "b\r\n3" + d + "a\r\r\n";  // lines 3-5
    body += std::string("4") + d + (quoted ? "\"x\ry\"" : "c") + "\r";     // line 6 (and 7 when quoted)
    body += std::string("5") + d + "b";                                       // line 7 or 8
    const auto file = dir.write(quoted ? "f.csv" : "f.tsv", body);
    FileSyntax syntax = quoted ? csv() : tsv();
    syntax.header = true;
    for (std::size_t chunk : {std::size_t{16}, std::size_t{1} << 20}) {
      Options opt;
      opt.chunk_bytes = chunk;
      const Outcome o = find_duplicates(file, syntax, 2, {1}, opt);
      EXPECT_EQ(o.rows, 5u) << quoted << "/" << chunk;
      ASSERT_EQ(o.report.top.size(), 2u) << quoted << "/" << chunk;
      EXPECT_EQ(o.report.top[0].key, "a");
      EXPECT_EQ(o.report.top[0].lines, (std::vector<std::uint64_t>{3, 5}));
      EXPECT_EQ(o.report.top[1].key, "b");
      EXPECT_EQ(o.report.top[1].lines, (std::vector<std::uint64_t>{4, quoted ? 8u : 7u}));
    }
  }
}

TEST(DuplicateConfirm, ByteOrderMarkAndLatin1AsThePipelineReadsThem) {
  test::TempDir dir;
  // The key starts at field 1, right after the BOM: row 1's key is "k1", not BOM + "k1".
  const auto file = dir.write("f.tsv", "\xEF\xBB\xBFk1\tcaf\xE9\n"
                                       "k2\tcaf\xE9\n"
                                       "k1\tcaf\xE9\n"
                                       "k2\tcafe\n");
  FileSyntax s = tsv();
  s.latin1 = true;
  for (unsigned bits : {64u, 0u}) {
    HashBits hook(bits);
    const Outcome o = find_duplicates(file, s, 2, {0, 1}, {});
    EXPECT_EQ(o.report.duplicate_keys, 1u) << bits;
    EXPECT_EQ(o.report.excess_rows, 1u) << bits;
    ASSERT_EQ(o.report.top.size(), 1u);
    EXPECT_EQ(o.report.top[0].key, "k1, caf\xC3\xA9");  // shown as UTF-8, like the loaded value
    EXPECT_EQ(o.report.top[0].lines, (std::vector<std::uint64_t>{1, 3}));
  }
}

TEST(DuplicateConfirm, FileChangedBetweenPassesIsAnError) {
  test::TempDir dir;
  const auto file = dir.write("f.tsv", unique_rows(100) + row(100, "2024-01-10", "A0"));
  DuplicateKeyIndex index(dir.path());
  std::vector<KeyHash> e{{42, 0}, {42, 500}};  // line 501 does not exist
  index.add(e.data(), e.size(), 1);
  CandidateSet c = index.candidates();
  EXPECT_THROW(confirm_duplicates(file, tsv(), {1, 2}, c, 10), Error);
}

}  // namespace
}  // namespace sluice
