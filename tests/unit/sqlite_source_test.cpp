// A SQLite file as a migration source: the mapping of declared types to PostgreSQL (by affinity, as
// SQLite reads them), what each stored value becomes in COPY text or why it is refused, and the
// source read end to end from a real file: schema, profile, rowid ranges, rows and refusals.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/error.h"
#include "core/progress.h"
#include "loaders/migrate/column_mapping.h"
#include "loaders/sqlite/sqlite_source.h"
#include "loaders/sqlite/sqlite_values.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

using sqlite::StorageClass;
using sqlite::Value;

Value integer(std::int64_t i) { return Value{StorageClass::integer, i, 0, {}}; }
Value real(double d) { return Value{StorageClass::real, 0, d, {}}; }
Value text(std::string_view s) { return Value{StorageClass::text, 0, 0, s}; }
Value blob(std::string_view s) { return Value{StorageClass::blob, 0, 0, s}; }

// The COPY text of `v` for `type` (a SQLite declared type), or "refused: <reason>".
std::string copy_text(std::string_view declared, const Value& v) {
  std::string out, reason;
  if (!sqlite::append_copy_value(out, sqlite_column_mapping(declared), v, reason)) return "refused: " + reason;
  return out;
}

TEST(SqliteMapping, DeclaredTypesMapByAffinityInSqlitesOrder) {
  struct Case {
    const char* declared;
    const char* target;
    Fidelity fidelity;
  };
  const Case cases[] = {
      {"INTEGER", "bigint", Fidelity::exact},          {"int", "bigint", Fidelity::exact},
      {"TINYINT", "bigint", Fidelity::exact},          {"UNSIGNED BIG INT", "bigint", Fidelity::exact},
      // "POINT" holds "INT": INTEGER affinity, as SQLite's rule 1 says.
      {"FLOATING POINT", "bigint", Fidelity::exact},   {"VARCHAR(255)", "text", Fidelity::exact},
      {"NVARCHAR(100)", "text", Fidelity::exact},      {"CLOB", "text", Fidelity::exact},
      {"BLOB", "bytea", Fidelity::exact},              {"REAL", "double precision", Fidelity::exact},
      {"DOUBLE PRECISION", "double precision", Fidelity::exact}, {"FLOAT", "double precision", Fidelity::exact},
      {"DECIMAL(10,5)", "numeric(10,5)", Fidelity::exact},       {"NUMERIC", "numeric", Fidelity::exact},
      {"BOOLEAN", "boolean", Fidelity::exact},         {"DATE", "date", Fidelity::exact},
      {"DATETIME", "timestamp", Fidelity::exact},      {"TIMESTAMP", "timestamp", Fidelity::exact},
      {"STRING", "text", Fidelity::widened},           {"", "text", Fidelity::widened},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.declared);
    const ColumnMapping m = sqlite_column_mapping(c.declared);
    EXPECT_EQ(m.target_type, c.target);
    EXPECT_EQ(m.fidelity, c.fidelity);
  }
  // A column without a declared type is typed by the one storage class its values have.
  EXPECT_EQ(sqlite_column_mapping("", "integer").target_type, "bigint");
  EXPECT_EQ(sqlite_column_mapping("", "real").target_type, "double precision");
  EXPECT_EQ(sqlite_column_mapping("", "blob").target_type, "bytea");
  EXPECT_EQ(sqlite_column_mapping("", "text").fidelity, Fidelity::exact);
}

TEST(SqliteValues, NumbersArriveExactly) {
  EXPECT_EQ(copy_text("INTEGER", integer(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(copy_text("INTEGER", integer(std::numeric_limits<std::int64_t>::max())), "9223372036854775807");
  EXPECT_EQ(copy_text("INTEGER", real(3.0)), "3");
  // Shortest text that reads back as the same double: 17 digits where 15 would change it.
  EXPECT_EQ(copy_text("REAL", real(0.1)), "0.1");
  EXPECT_EQ(copy_text("REAL", real(0.30000000000000004)), "0.30000000000000004");
  EXPECT_EQ(copy_text("REAL", real(HUGE_VAL)), "Infinity");
  EXPECT_EQ(copy_text("REAL", real(-HUGE_VAL)), "-Infinity");
  EXPECT_EQ(copy_text("REAL", integer(9007199254740993)), "refused: 9007199254740993 has more digits than a double keeps");
  EXPECT_EQ(copy_text("DECIMAL(10,2)", real(1.1)), "1.1");
  EXPECT_EQ(copy_text("DECIMAL(10,2)", text("-12.50")), "-12.50");
  EXPECT_EQ(copy_text("DECIMAL(10,2)", real(1.234)), "refused: 1.234 has 3 decimals; numeric(10,2) would round it");
  EXPECT_EQ(copy_text("DECIMAL(4,2)", integer(123)), "refused: 123 has 3 digits before the point; numeric(4,2) holds 2");
}

TEST(SqliteValues, AValueOfAnotherKindIsRefusedWithWhatItIs) {
  EXPECT_EQ(copy_text("INTEGER", text("toto")), "refused: text in an integer column");
  EXPECT_EQ(copy_text("INTEGER", real(1.5)), "refused: a real in an integer column");
  EXPECT_EQ(copy_text("INTEGER", real(HUGE_VAL)), "refused: a real in an integer column");  // 1e400 is stored as Inf
  EXPECT_EQ(copy_text("TEXT", blob("\x01\x02")), "refused: a blob in a text column");
  EXPECT_EQ(copy_text("BOOLEAN", integer(2)), "refused: a number other than 0 and 1 in a boolean column");
  EXPECT_EQ(copy_text("BLOB", integer(7)), "refused: an integer in a bytea column");
  EXPECT_EQ(copy_text("TEXT", text(std::string_view("a\0b", 3))),
            "refused: a NUL character (at byte 1), which PostgreSQL text cannot hold");
  EXPECT_EQ(copy_text("TEXT", text("caf\xe9")), "refused: not valid UTF-8 (at byte 3)");
}

TEST(SqliteValues, TextAndBytesAreEscapedForCopy) {
  EXPECT_EQ(copy_text("TEXT", text("a\tb\nc\\d\re")), "a\\tb\\nc\\\\d\\re");
  EXPECT_EQ(copy_text("TEXT", text("\xe2\x82\xac \xf0\x9f\x98\x80")), "\xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(copy_text("TEXT", text("")), "");      // an empty string stays one: it is not NULL
  EXPECT_EQ(copy_text("TEXT", Value{}), "\\N");
  EXPECT_EQ(copy_text("TEXT", text("\\N")), "\\\\N");  // the text \N is not NULL either
  EXPECT_EQ(copy_text("TEXT", integer(42)), "42");
  EXPECT_EQ(copy_text("BLOB", blob(std::string_view("\x00\xff", 2))), "\\\\x00ff");
  EXPECT_EQ(copy_text("BLOB", text("hi")), "\\\\x6869");
  EXPECT_EQ(copy_text("BOOLEAN", text("Yes")), "t");
  EXPECT_EQ(copy_text("BOOLEAN", integer(0)), "f");
}

TEST(SqliteValues, DatesAsTextJulianDaysAndUnixTimesReadAsSqliteReadsThem) {
  EXPECT_EQ(copy_text("DATE", text("2024-02-29")), "2024-02-29");
  EXPECT_EQ(copy_text("DATE", text("2023-02-29")), "refused: not an ISO 8601 date (YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|±HH:MM])");
  EXPECT_EQ(copy_text("DATE", text("01/02/2024")), "refused: not an ISO 8601 date (YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|±HH:MM])");
  EXPECT_EQ(copy_text("DATE", text("2024-01-05 13:00:00")), "refused: a time of day in a date column");
  EXPECT_EQ(copy_text("DATE", text("2024-01-05 00:00:00")), "2024-01-05");
  // Julian day 2460000.5 is 2023-02-25 00:00 UTC; 1700000000 seconds is 2023-11-14 22:13:20 UTC.
  EXPECT_EQ(copy_text("DATE", real(2460000.5)), "2023-02-25");
  EXPECT_EQ(copy_text("DATETIME", integer(1700000000)), "2023-11-14 22:13:20");
  EXPECT_EQ(copy_text("DATETIME", real(1700000000.25)), "2023-11-14 22:13:20.250");
  EXPECT_EQ(copy_text("DATETIME", text("2024-01-05T10:20:30.123456")), "2024-01-05 10:20:30.123456");
  EXPECT_EQ(copy_text("DATETIME", text("2024-01-05 10:20:30.1234567")), "refused: finer than the microseconds PostgreSQL keeps");
  EXPECT_EQ(copy_text("DATETIME", text("2024-01-05 10:20:30+02:00")),
            "refused: a time zone in a column without one (cast it to timestamptz)");
  // Milliseconds since 1970 are no Unix time SQLite reads: refused, not read as the year 53000.
  EXPECT_EQ(copy_text("DATETIME", integer(1627303906122)),
            "refused: a number outside the dates SQLite reads (years 0000 to 9999 by its 'auto' rule)");
  EXPECT_EQ(copy_text("TIMESTAMPTZ", text("2024-01-05 10:20:30+02:00")), "2024-01-05 10:20:30+02:00");
  EXPECT_EQ(copy_text("TIMESTAMPTZ", text("2024-01-05 10:20")), "2024-01-05 10:20:00+00");
}

// A SQLite file made with the C library, as an application would have written it.
class SqliteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ / "legacy.db";
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
  }
  void TearDown() override { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* message = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "") << "\n" << sql;
  }

  test::TempDir dir_;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

struct CollectingSink : ChunkSink {
  void consume(const ScannedChunk& c) override {
    text.append(c.copy_data, c.copy_size);
    rows += c.rows;
    ++chunks;
  }
  std::string text;
  std::uint64_t rows = 0, chunks = 0;
};

TEST_F(SqliteSourceTest, SchemaProfileRangesAndRowsComeFromTheFile) {
  exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer VARCHAR(40) NOT NULL, amount DECIMAL(10,2), "
       "placed DATETIME, note, paid BOOLEAN);"
       "CREATE INDEX orders_by_customer ON orders(customer);"
       "CREATE UNIQUE INDEX orders_note ON orders(note, customer);"
       "CREATE INDEX orders_lower ON orders(lower(customer));"
       "CREATE TABLE \"odd \"\"name\" (x INT);"
       "INSERT INTO orders VALUES (1, 'Ann', 10.5, '2024-01-05 10:00:00', 'tab\there', 1);"
       "INSERT INTO orders VALUES (2, 'Bob', NULL, 1700000000, NULL, 0);"
       "INSERT INTO orders VALUES (5, 'Cé', 3, 2460000.5, 'x', 'true');");
  SqliteTableSource source(path_);
  EXPECT_EQ(source.list_tables(""), (std::vector<std::string>{"odd \"name", "orders"}));
  EXPECT_THROW(source.describe("", "nope"), Error);

  SourceTable t = source.describe("", "ORDERS");  // SQLite's names ignore case; the file's spelling is kept
  EXPECT_EQ(t.name, "orders");
  ASSERT_EQ(t.columns.size(), 6u);
  EXPECT_EQ(t.columns[0].mapping.target_type, "bigint");
  EXPECT_FALSE(t.columns[0].nullable);  // the rowid
  EXPECT_FALSE(t.columns[1].nullable);
  EXPECT_EQ(t.columns[2].mapping.target_type, "numeric(10,2)");
  EXPECT_EQ(t.primary_key, (std::vector<std::string>{"id"}));
  ASSERT_EQ(t.indexes.size(), 2u);  // the one on an expression is left out
  EXPECT_EQ(t.indexes[0].name, "orders_by_customer");
  EXPECT_FALSE(t.indexes[0].unique);
  EXPECT_EQ(t.indexes[1].columns, (std::vector<std::string>{"note", "customer"}));
  EXPECT_TRUE(t.indexes[1].unique);

  const TableProfile p = source.profile(t);
  EXPECT_EQ(p.rows, 3u);
  EXPECT_EQ(p.columns[4].texts, 2u);
  EXPECT_EQ(p.columns[4].nulls, 1u);
  EXPECT_EQ(p.columns[4].only_class(), "text");
  EXPECT_EQ(p.columns[3].only_class(), "");  // text, an integer and a real
  SqliteTableSource::type_by_contents(t, p);
  EXPECT_EQ(t.columns[4].mapping.target_type, "text");
  EXPECT_EQ(t.columns[4].mapping.fidelity, Fidelity::exact);

  const std::vector<SourceRange> ranges = source.plan_ranges(t, "", 2);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].first, 1);
  EXPECT_EQ(ranges[1].last, 5);

  CollectingSink sink;
  NullProgress progress;
  Cancellation cancel;
  std::uint64_t rows = 0;
  for (const auto& r : ranges) rows += source.read_range(t, r, sink, 1 << 20, progress, cancel);
  EXPECT_EQ(rows, 3u);
  EXPECT_EQ(sink.text,
            "1\tAnn\t10.5\t2024-01-05 10:00:00\ttab\\there\tt\n"
            "2\tBob\t\\N\t2023-11-14 22:13:20\t\\N\tf\n"
            "5\tC\xc3\xa9\t3\t2023-02-25 00:00:00\tx\tt\n");
}

TEST_F(SqliteSourceTest, AValueThatDoesNotFitStopsTheReadOrIsLeftOutWithItsPlace) {
  exec("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, b BLOB);"
       "INSERT INTO t VALUES (1, 10, x'00');"
       "INSERT INTO t VALUES (2, 'toto', x'01');"
       "INSERT INTO t VALUES (3, 30, x'02');");
  SqliteTableSource source(path_);
  const SourceTable t = source.describe("", "t");
  CollectingSink sink;
  NullProgress progress;
  Cancellation cancel;
  try {
    source.read_range(t, SourceRange{}, sink, 1 << 20, progress, cancel);
    FAIL() << "text in an INTEGER column was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::qc_failed);
    EXPECT_EQ(e.primary(), "t.n: text in an integer column");
    EXPECT_EQ(e.detail(), "rowid 2: \"toto\"");
    EXPECT_NE(e.hint().find("cast: { n: text }"), std::string::npos) << e.hint();
  }

  CollectingSink kept;
  std::vector<ValueProblem> left_out;
  const std::uint64_t rows = source.read_range(t, SourceRange{}, kept, 1 << 20, progress, cancel,
                                               [&](const ValueProblem& p) { left_out.push_back(p); });
  EXPECT_EQ(rows, 2u);
  EXPECT_EQ(kept.text, "1\t10\t\\\\x00\n3\t30\t\\\\x02\n");
  ASSERT_EQ(left_out.size(), 1u);
  EXPECT_EQ(left_out[0].row, "rowid 2");
  EXPECT_EQ(left_out[0].column, "n");
  EXPECT_EQ(left_out[0].value, "\"toto\"");
}

// Our reading of a number in a date column against SQLite's own: strftime(..., 'auto').
TEST_F(SqliteSourceTest, NumbersInDateColumnsReadAsSqlitesAutoModifierReadsThem) {
  const double numbers[] = {0.0, 1721059.5, 2440587.5, 2460000.25, 2460000.123456, 5373484.499999, 5373484.5,
                            -86400.0, 1.0e9, 1700000000.0, 1700000000.999, 253402300799.0, -62167219200.0};
  for (double n : numbers) {
    SCOPED_TRACE(n);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, "SELECT strftime('%Y-%m-%d %H:%M:%f', ?1, 'auto')", -1, &st, nullptr), SQLITE_OK);
    sqlite3_bind_double(st, 1, n);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    const auto* theirs = sqlite3_column_text(st, 0);
    std::string expected = theirs ? reinterpret_cast<const char*>(theirs) : "";
    sqlite3_finalize(st);
    const std::string ours = copy_text("DATETIME", real(n));
    // Before the year 0000 (Julian day 0 is -4713-11-24) SQLite still answers, but its own docs
    // cover 0000..9999 only, and PostgreSQL spells such years otherwise: refused, not guessed.
    if (expected.empty() || expected[0] == '-') {
      EXPECT_EQ(ours.rfind("refused:", 0), 0u) << ours;
      continue;
    }
    // SQLite always writes .SSS; PostgreSQL text leaves out a zero fraction.
    if (expected.size() > 4 && expected.compare(expected.size() - 4, 4, ".000") == 0) expected.resize(expected.size() - 4);
    EXPECT_EQ(ours, expected);
  }
}

TEST_F(SqliteSourceTest, TheFileIsNeverWritten) {
  exec("CREATE TABLE t (id INTEGER PRIMARY KEY);");
  sqlite3_close(db_);
  db_ = nullptr;
  const auto before = std::filesystem::last_write_time(path_);
  {
    SqliteTableSource source(path_);
    const SourceTable t = source.describe("", "t");
    source.profile(t);
  }
  EXPECT_EQ(std::filesystem::last_write_time(path_), before);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "legacy.db-journal"));
  EXPECT_THROW(SqliteTableSource(dir_ / "missing.db"), Error);
}

}  // namespace
}  // namespace sluice
