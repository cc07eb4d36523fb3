// The duplicate-key check as the load runs it: inside the one scan, over the whole file, exact, with
// the first lines of each repeated key. Each test pins one behaviour a user relies on.
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "core/column_type.h"
#include "loaders/pipeline.h"
#include "tests/support/scan_file.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

struct Options {
  FileSyntax syntax;
  std::size_t chunk = 1 << 20;
  int workers = 2;
  std::size_t budget = DuplicateKeyIndex::kDefaultBudget;
  bool skip_bad_rows = false;
  std::vector<int> key = {0, 1};
};

// Columns DAY, ID, NOTE; ID is an integer; the key is (DAY, ID) unless given.
PipelineResult scan(const std::string& content, const Options& opt = {}) {
  test::TempDir dir;
  const auto file = dir.write(opt.syntax.quoted ? "f.csv" : "f.tsv", content);
  QcSettings qc = test::columns_qc({"DAY", "ID", "NOTE"});
  qc.value_checks.emplace_back();
  qc.value_checks.emplace_back(ValueChecker(*parse_column_type("integer")));
  qc.value_checks.emplace_back();
  qc.date_field = 0;
  qc.key_fields = opt.key;
  PipelineOptions o;
  o.chunk_bytes = opt.chunk;
  o.workers = opt.workers;
  o.spill_dir = dir.path();
  o.duplicate_memory_budget = opt.budget;
  o.skip_bad_rows = opt.skip_bad_rows;
  o.max_rejects_kept = 100;
  return test::run_engine(file, opt.syntax, qc, o);
}

const Finding* find(const PipelineResult& r, const std::string& check) {
  for (const auto& f : r.qc.findings)
    if (f.id() == check) return &f;
  return nullptr;
}

std::string month_of_rows(int n, int first_id = 1) {
  std::string s;
  for (int i = 0; i < n; ++i) s += fmt::format("2024-01-{:02}\t{}\tx\n", i % 31 + 1, first_id + i);
  return s;
}

TEST(DuplicateKeysInScan, UniqueKeysPass) {
  const auto r = scan(month_of_rows(2000));
  EXPECT_TRUE(r.qc.passed());
  EXPECT_EQ(find(r, "duplicate_key"), nullptr);
}

TEST(DuplicateKeysInScan, FirstAndLastRowsShareAKeyAcrossChunks) {
  // A header and a BOM before the first row; 4 KiB chunks put the two rows chunks apart.
  std::string body = month_of_rows(1000, 10);
  body += "2024-01-01\t10\tagain\n";  // the first data row's key, on the last line
  const std::string file = "\xEF\xBB\xBF" "DAY\tID\tNOTE\n" + body;
  Options o;
  o.syntax.header = true;
  o.chunk = 4096;
  const auto r = scan(file, o);
  const Finding* f = find(r, "duplicate_key");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::error);
  EXPECT_EQ(f->count, 1u);  // one excess row
  EXPECT_EQ(f->message, "1 key (DAY, ID) occurs on more than one row: 1 extra row");
  ASSERT_EQ(f->examples.size(), 1u);
  EXPECT_EQ(f->examples[0].line, 2u);
  EXPECT_EQ(f->examples[0].value, "2024-01-01, 10");
  EXPECT_EQ(f->examples[0].note, "2 rows, lines 2, 1002");
  EXPECT_FALSE(r.qc.passed());
}

TEST(DuplicateKeysInScan, CountsKeysAndExcessRowsMostRepeatedFirst) {
  std::string s = month_of_rows(100);
  s += "2024-01-05\t5\tb\n";  // line 101: 2nd row of key (05, 5)
  s += "2024-01-03\t3\tb\n";  // line 102
  s += "2024-01-03\t3\tc\n";  // line 103: key (03, 3) on 3 rows
  const auto r = scan(s);
  const Finding* f = find(r, "duplicate_key");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->count, 3u);
  EXPECT_EQ(f->message, "2 keys (DAY, ID) occur on more than one row: 3 extra rows");
  ASSERT_EQ(f->examples.size(), 2u);
  EXPECT_EQ(f->examples[0].note, "3 rows, lines 3, 102, 103");
  EXPECT_EQ(f->examples[1].note, "2 rows, lines 5, 101");
}

TEST(DuplicateKeysInScan, KeyOrderAndColumnsAreTheConfiguredOnes) {
  // Same ID on different days: not a duplicate of (DAY, ID), a duplicate of (ID) alone.
  const std::string s = "2024-01-01\t7\ta\n2024-01-02\t7\tb\n";
  EXPECT_EQ(find(scan(s), "duplicate_key"), nullptr);
  Options o;
  o.key = {1};
  const auto by_id = scan(s, o);
  const Finding* f = find(by_id, "duplicate_key");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->examples[0].value, "7");
  EXPECT_EQ(f->examples[0].note, "2 rows, lines 1, 2");
}

TEST(DuplicateKeysInScan, CsvKeysWithDelimitersAndNewlinesInsideQuotes) {
  Options o;
  o.syntax.quoted = true;
  o.syntax.delimiter = ',';
  o.key = {2};  // NOTE
  o.chunk = 4096;
  std::string s;
  for (int i = 1; i <= 300; ++i) s += fmt::format("2024-01-01,{},\"n{}\"\n", i, i);
  s += "2024-01-02,301,\"a,\nb\"\n";  // lines 301-302
  s += "2024-01-02,302,\"a\"\",b\"\n";
  s += "2024-01-02,303,\"a,\nb\"\n";  // lines 304-305: same NOTE as line 301
  const auto r = scan(s, o);
  const Finding* f = find(r, "duplicate_key");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->count, 1u);
  EXPECT_EQ(f->examples[0].note, "2 rows, lines 301, 304");
}

TEST(DuplicateKeysInScan, ARowThatFailsItsChecksIsNotADuplicate) {
  // Line 3 repeats line 1's key but its NOTE column is missing: it is reported as ragged, and with
  // --on-error skip it goes to the reject file, so the table never holds two such rows.
  const std::string s = "2024-01-01\t1\ta\n2024-01-01\t2\tb\n2024-01-01\t1\n";
  Options o;
  o.skip_bad_rows = true;
  const auto r = scan(s, o);
  EXPECT_EQ(find(r, "duplicate_key"), nullptr);
  ASSERT_NE(find(r, "column_count"), nullptr);
}

TEST(DuplicateKeysInScan, SpillingToDiskGivesTheSameAnswer) {
  // 200k rows with a 1 MiB budget: the index writes its partitions out many times.
  std::string s = month_of_rows(200000);
  s += "2024-01-09\t9\tz\n";
  Options small;
  small.budget = 1u << 20;
  small.chunk = 64 * 1024;
  const auto spilled = scan(s, small);
  const auto in_memory = scan(s);
  const Finding* a = find(spilled, "duplicate_key");
  const Finding* b = find(in_memory, "duplicate_key");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->examples[0].note, "2 rows, lines 9, 200001");
  EXPECT_EQ(a->message, b->message);
  EXPECT_EQ(a->examples[0].note, b->examples[0].note);
}

TEST(DuplicateKeysInScan, HashCollisionsAreNeverReported) {
  // Keep 4 bits of every hash: thousands of distinct keys collide; only the true repeat is reported.
  set_hash_bits_for_testing(4);
  std::string s = month_of_rows(5000);
  s += "2024-01-02\t2\tagain\n";
  const auto r = scan(s);
  set_hash_bits_for_testing(64);
  const Finding* f = find(r, "duplicate_key");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->count, 1u);
  EXPECT_EQ(f->examples[0].note, "2 rows, lines 2, 5001");
}

}  // namespace
}  // namespace sluice
