// A PostgreSQL table as a TableSource, copied range by range into a PostgreSQL LoadTarget: the
// path `sluice migrate` takes (the same COPY sink a file load feeds). The copy must be exact
// whatever the values hold (tabs, newlines, backslashes, non-ASCII text, NULLs), every row in
// exactly one range (NULL ids included), and a cancelled read must leave the connection usable.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "core/error.h"
#include "loaders/postgres/copy_in_sink.h"
#include "loaders/postgres/postgres_source.h"
#include "loaders/postgres/postgres_target.h"
#include "tests/support/test_postgres.h"

namespace sluice::test {
namespace {

class TableSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_schema_ = unique_schema_or_table_name("src");
    target_schema_ = unique_schema_or_table_name("dst");
    conn_.exec(fmt::format("CREATE SCHEMA {0}; CREATE SCHEMA {1};"
                           "CREATE TABLE {0}.t (id bigint, name text NOT NULL, amount numeric(12,2), day date, note text);"
                           // Values COPY text must escape: tab, newline, CR, backslash; non-ASCII; NULLs.
                           "INSERT INTO {0}.t SELECT g, 'name ' || g || E'\\t' || chr(233) || E'\\\\', "
                           "CASE WHEN g % 7 = 0 THEN NULL ELSE g * 1.25 END, DATE '2024-01-01' + (g % 31), "
                           "CASE WHEN g % 5 = 0 THEN E'line one\\nline two\\r' WHEN g % 11 = 0 THEN '' END "
                           "FROM generate_series(-50, 9949) g;"
                           "INSERT INTO {0}.t (id, name) VALUES (NULL, 'no id'), (NULL, E'\\\\N');",
                           source_schema_, target_schema_));
  }
  void TearDown() override {
    conn_.exec(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE; DROP SCHEMA IF EXISTS {} CASCADE", source_schema_,
                           target_schema_));
  }
  std::string fingerprint(const std::string& schema) {
    auto r = conn_.query(fmt::format("SELECT count(*)::text, md5(string_agg(t::text, '|' ORDER BY id NULLS LAST, name)) "
                                     "FROM {}.t",
                                     schema));
    return std::string(r.get(0, 0)) + " " + std::string(r.get(0, 1));
  }

  pg::Connection conn_ = test_connection();
  std::string source_schema_, target_schema_;
};

TEST_F(TableSourceTest, ATableCopiesExactlyRangeByRangeIntoALoadTarget) {
  pg::Connection source_conn = test_connection();
  PostgresTableSource source(source_conn);
  const SourceTable table = source.describe(source_schema_, "t");
  ASSERT_EQ(table.columns.size(), 5u);
  EXPECT_EQ(table.columns[2].declared_type, "numeric(12,2)");
  ASSERT_TRUE(table.columns[2].type);
  EXPECT_EQ(table.columns[2].type->precision, 12);
  EXPECT_FALSE(table.columns[1].nullable);

  const std::vector<SourceRange> ranges = source.plan_ranges(table, "id", 4);
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges.front().first, -50);
  EXPECT_EQ(ranges.back().last, 9949);
  for (std::size_t i = 1; i < ranges.size(); ++i) EXPECT_EQ(ranges[i].first, ranges[i - 1].last + 1);

  TableSpec spec;
  spec.table = "t";
  for (const auto& c : table.columns) spec.columns.push_back({c.name, *c.type, !c.nullable});
  PostgresTarget target([] { return TestPostgres::conninfo(); }, target_schema_);
  target.begin(0);
  ASSERT_TRUE(target.prepare_table(spec, true));
  std::uint64_t rows = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    TargetFile part;
    part.index = i;
    part.table = &spec;
    part.name = ranges[i].label();
    std::vector<ChunkProgress> recorded;
    target.open_file(part, [&](ChunkProgress p) { recorded.push_back(std::move(p)); });
    NullProgress progress;
    Cancellation cancel;
    const std::uint64_t read = source.read_range(table, ranges[i], target.file_sink(), 4096, progress, cancel);
    EXPECT_EQ(target.close_file(part, SentRows{}), read) << ranges[i].label();
    EXPECT_GT(recorded.size(), 1u) << "4 KiB chunks: several per range";
    rows += read;
  }
  NullProgress done;
  target.commit(done);
  EXPECT_EQ(rows, 10002u);  // 10,000 ids and two NULL ones, each once
  EXPECT_EQ(fingerprint(target_schema_), fingerprint(source_schema_));
}

TEST_F(TableSourceTest, BinaryRowsArriveExactlyInEveryRangeEmptyOnesIncluded) {
  pg::Connection source_conn = test_connection();
  PostgresTableSource source(source_conn);
  SourceTable table = source.describe(source_schema_, "t");
  ASSERT_TRUE(source.copies_binary(table));
  table.binary = true;
  conn_.exec(fmt::format("CREATE TABLE {}.t (LIKE {}.t)", target_schema_, source_schema_));
  // Ranges past the ids hold no rows: a binary COPY of nothing is still a valid one.
  std::vector<SourceRange> ranges = source.plan_ranges(table, "id", 4);
  ranges.push_back(SourceRange{"id", 100000, 200000});
  std::uint64_t rows = 0;
  for (const auto& range : ranges) {
    pg::Connection target = test_connection();
    target.exec("BEGIN");
    target.copy_begin(fmt::format("COPY {}.t FROM STDIN (FORMAT binary)", target_schema_));
    CopyInSink sink(target);
    NullProgress progress;
    Cancellation cancel;
    const std::uint64_t read = source.read_range(table, range, sink, 4096, progress, cancel);
    sink.finish();
    EXPECT_EQ(target.copy_end(), read) << range.label();
    target.exec("COMMIT");
    rows += read;
  }
  EXPECT_EQ(rows, 10002u);
  EXPECT_EQ(fingerprint(target_schema_), fingerprint(source_schema_));
  // A cast column changes the type: text then.
  table.columns[2].mapping.cast = true;
  EXPECT_FALSE(source.copies_binary(table));
}

TEST_F(TableSourceTest, AMissingTableAndATextChunkColumnAreToldPlainly) {
  PostgresTableSource source(conn_);
  try {
    source.describe(source_schema_, "nope");
    FAIL() << "a missing table was described";
  } catch (const Error& e) {
    EXPECT_NE(e.primary().find(source_schema_ + ".nope does not exist"), std::string::npos) << e.primary();
  }
  const SourceTable table = source.describe(source_schema_, "t");
  try {
    source.plan_ranges(table, "name", 4);
    FAIL() << "a text column was accepted to cut ranges";
  } catch (const Error& e) {
    EXPECT_NE(e.primary().find("not an integer"), std::string::npos) << e.primary();
  }
  EXPECT_EQ(source.plan_ranges(table, "", 4).size(), 1u);
}

TEST_F(TableSourceTest, ACancelledReadStopsAndTheConnectionWorksAfterwards) {
  pg::Connection source_conn = test_connection();
  PostgresTableSource source(source_conn);
  const SourceTable table = source.describe(source_schema_, "t");
  struct Counting final : ChunkSink {
    std::uint64_t rows = 0;
    void consume(const ScannedChunk& c) override { rows += c.rows; }
  } sink;
  NullProgress progress;
  Cancellation cancel;
  cancel.cancel();
  EXPECT_THROW(source.read_range(table, SourceRange{}, sink, 1024, progress, cancel), Error);
  EXPECT_LT(sink.rows, 10002u);
  EXPECT_EQ(std::string(source_conn.query("SELECT count(*) FROM " + source_schema_ + ".t").get(0, 0)), "10002");
}

}  // namespace
}  // namespace sluice::test
