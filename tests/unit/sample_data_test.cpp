#include <sys/resource.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <xxhash.h>
#include <zstd.h>

#include "core/dates.h"
#include "core/error.h"
#include "operations/sample_data.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

using Row = std::vector<std::string>;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  EXPECT_EQ(start, text.size()) << "the file does not end with a newline";
  return lines;
}

Row split(const std::string& line, char delimiter = '\t') {
  Row fields;
  std::size_t start = 0;
  for (std::size_t d; (d = line.find(delimiter, start)) != std::string::npos; start = d + 1)
    fields.push_back(line.substr(start, d - start));
  fields.push_back(line.substr(start));
  return fields;
}

std::vector<Row> rows_of(const std::filesystem::path& p) {
  std::vector<Row> rows;
  for (const auto& line : lines_of(slurp(p))) rows.push_back(split(line));
  return rows;
}

SampleDataOptions rows_option(std::uint64_t rows) {
  SampleDataOptions o;
  o.rows = rows;
  return o;
}

int day_of(const Row& r) { return std::stoi(r[0].substr(8, 2)); }

const std::size_t kColumns = sample_columns().size();

TEST(SampleData, SameOptionsGiveByteIdenticalFiles) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(20000);
  generate_sample_data(dir / "a.tsv", o, progress);
  generate_sample_data(dir / "b.tsv", o, progress);
  o.seed = 43;
  generate_sample_data(dir / "c.tsv", o, progress);
  const std::string a = slurp(dir / "a.tsv"), b = slurp(dir / "b.tsv"), c = slurp(dir / "c.tsv");
  ASSERT_GT(a.size(), 1'000'000u);
  EXPECT_EQ(XXH3_64bits(a.data(), a.size()), XXH3_64bits(b.data(), b.size()));
  EXPECT_NE(XXH3_64bits(a.data(), a.size()), XXH3_64bits(c.data(), c.size()));
}

TEST(SampleData, RowsOptionGivesExactlyThatManyFullRows) {
  test::TempDir dir;
  NullProgress progress;
  const SampleDataResult r = generate_sample_data(dir / "f.tsv", rows_option(12345), progress);
  EXPECT_EQ(r.rows, 12345u);
  EXPECT_EQ(r.bytes, std::filesystem::file_size(dir / "f.tsv"));
  const auto rows = rows_of(dir / "f.tsv");
  ASSERT_EQ(rows.size(), 12345u);
  for (std::size_t i = 0; i < rows.size(); ++i)
    ASSERT_EQ(rows[i].size(), kColumns) << "line " << i + 1;
  EXPECT_GE(kColumns, 32u);
  EXPECT_LE(kColumns, 40u);
}

TEST(SampleData, EveryDayOfTheMonthInDateOrderWithUniqueKeys) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(29 * 500);
  o.year = 2024;
  o.month = 2;
  generate_sample_data(dir / "f.tsv", o, progress);
  std::map<int, int> per_day;
  std::set<std::pair<std::string, std::string>> keys;
  int last_day = 0;
  for (const auto& r : rows_of(dir / "f.tsv")) {
    const int day = day_of(r);
    ASSERT_EQ(r[0].substr(0, 8), "2024-02-");
    ASSERT_EQ(r[1], "202402" + r[0].substr(8, 2)) << "RECORDDATEID disagrees with RECORDDATE";
    ASSERT_GE(day, last_day) << "rows are not grouped by day in date order";
    last_day = day;
    ++per_day[day];
    ASSERT_TRUE(keys.emplace(r[1], r[2]).second) << "duplicate key " << r[1] << " " << r[2];
  }
  ASSERT_EQ(per_day.size(), 29u);
  EXPECT_EQ(per_day.begin()->first, 1);
  EXPECT_EQ(per_day.rbegin()->first, 29);
  // Per-day counts stay within ±10% of the mean; weekends are lighter (2024-02-03 was a Saturday).
  double weekend = 0, weekday = 0;
  int weekends = 0;
  for (auto [day, n] : per_day) {
    EXPECT_NEAR(n, 500, 50) << "day " << day;
    const bool is_weekend = (day - 3) % 7 == 0 || (day - 4) % 7 == 0;
    (is_weekend ? weekend : weekday) += n;
    weekends += is_weekend;
  }
  EXPECT_LT(weekend / weekends, weekday / (29 - weekends));
}

TEST(SampleData, SkipDaysRemovesExactlyThoseDays) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(5000);
  o.skip_days = {3, 17, 31};
  generate_sample_data(dir / "f.tsv", o, progress);
  std::set<int> days;
  const auto rows = rows_of(dir / "f.tsv");
  for (const auto& r : rows) days.insert(day_of(r));
  std::set<int> expected;
  for (int d = 1; d <= 31; ++d)
    if (d != 3 && d != 17 && d != 31) expected.insert(d);
  EXPECT_EQ(days, expected);
  EXPECT_EQ(rows.size(), 5000u);
}

TEST(SampleData, RaggedLineHasOneFieldFewer) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(500);
  o.header = true;
  o.ragged_line = 100;  // a file line: the header is line 1
  generate_sample_data(dir / "f.tsv", o, progress);
  const auto rows = rows_of(dir / "f.tsv");
  ASSERT_EQ(rows.size(), 501u);
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(rows[i].size(), i + 1 == 100 ? kColumns - 1 : kColumns) << "line " << i + 1;
}

TEST(SampleData, BadDateLineHasAnInvalidDate) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(500);
  o.bad_date_line = 50;
  generate_sample_data(dir / "f.tsv", o, progress);
  const auto rows = rows_of(dir / "f.tsv");
  DateParser parser;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    DayNumber d;
    if (i + 1 == 50) {
      EXPECT_EQ(rows[i][0], "2024-02-30");
      EXPECT_EQ(rows[i][1], "20240230");
      EXPECT_FALSE(parser.parse(rows[i][0], d));
      EXPECT_FALSE(parser.parse(rows[i][1], d));
      EXPECT_EQ(rows[i].size(), kColumns);
    } else {
      ASSERT_TRUE(parser.parse(rows[i][0], d)) << "line " << i + 1;
      ASSERT_TRUE(parser.parse(rows[i][1], d)) << "line " << i + 1;
    }
  }
}

TEST(SampleData, DuplicateLineRepeatsThePreviousKeyOnly) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(3000);
  o.duplicate_line = 300;
  generate_sample_data(dir / "f.tsv", o, progress);
  const auto rows = rows_of(dir / "f.tsv");
  EXPECT_EQ(rows[299][1], rows[298][1]);
  EXPECT_EQ(rows[299][2], rows[298][2]);
  EXPECT_EQ(rows[299][0], rows[298][0]);
  std::set<std::pair<std::string, std::string>> keys;
  int duplicates = 0;
  for (const auto& r : rows) duplicates += !keys.emplace(r[1], r[2]).second;
  EXPECT_EQ(duplicates, 1);
}

TEST(SampleData, HeaderNamesTheColumnsOfTheTableSpec) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(10);
  o.header = true;
  generate_sample_data(dir / "f.tsv", o, progress);
  const TableSpec spec = sample_table_spec("", "data/fact_{month}.tsv", true);
  const auto rows = rows_of(dir / "f.tsv");
  ASSERT_EQ(rows.size(), 11u);
  ASSERT_EQ(rows[0].size(), spec.columns.size());
  for (std::size_t i = 0; i < spec.columns.size(); ++i) EXPECT_EQ(rows[0][i], spec.columns[i].name);

  EXPECT_EQ(spec.table, "FACT_LENDING_SAMPLE");
  EXPECT_EQ(spec.feed.file_pattern, "data/fact_{month}.tsv");
  EXPECT_EQ(spec.feed.format, FileFormat::tsv);
  EXPECT_TRUE(spec.feed.header);
  EXPECT_EQ(spec.date_column, "RECORDDATEID");
  EXPECT_EQ(spec.date_column_index(), 1);
  EXPECT_EQ(spec.duplicate_key, (std::vector<std::string>{"RECORDDATEID", "ASSETID"}));
  EXPECT_EQ(to_string(spec.columns[spec.column_index("LOANVALUE")].type), "numeric(20,2)");
  EXPECT_EQ(sample_table_spec("MY_FACTS", "x.tsv", false).table, "MY_FACTS");
  EXPECT_FALSE(sample_table_spec("MY_FACTS", "x.tsv", false).feed.header);
}

TEST(SampleData, TargetBytesLandsWithinOnePercentOnWholeRows) {
  test::TempDir dir;
  NullProgress progress;
  for (std::uint64_t target : {300'000ULL, 6'000'000ULL}) {
    SampleDataOptions o;
    o.target_bytes = target;
    o.header = true;
    const SampleDataResult r = generate_sample_data(dir / "f.tsv", o, progress);
    const auto size = std::filesystem::file_size(dir / "f.tsv");
    EXPECT_EQ(r.bytes, size);
    EXPECT_NEAR(static_cast<double>(size), static_cast<double>(target), target * 0.01) << target;
    const auto rows = rows_of(dir / "f.tsv");
    EXPECT_EQ(rows.size(), r.rows + 1);
    for (const auto& row : rows) ASSERT_EQ(row.size(), kColumns);
  }
}

// Characters of valid UTF-8, or -1.
long utf8_length(const std::string& s) {
  long n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80         ? 1
                            : (c >> 5) == 6  ? 2
                            : (c >> 4) == 14 ? 3
                            : (c >> 3) == 30 ? 4
                                             : 0;
    if (len == 0 || i + len > s.size()) return -1;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return -1;
    i += len;
  }
  return n;
}

::testing::AssertionResult fits(const std::string& v, const ColumnType& t) {
  static const std::regex kTimestamp(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)");
  static const std::regex kDecimal(R"((\d+)\.(\d+))");
  auto fail = [&] {
    return ::testing::AssertionFailure() << "'" << v << "' is not a " << to_string(t);
  };
  if (v.find_first_of("\t\n\r\\") != std::string::npos || utf8_length(v) < 0) return fail();
  DateParser dates;
  DayNumber day;
  switch (t.kind) {
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint: {
      if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
        return fail();
      const long long n = std::stoll(v);
      const long long max = t.kind == ColumnKind::smallint  ? 32767
                            : t.kind == ColumnKind::integer ? 2147483647
                                                            : LLONG_MAX;
      return n <= max ? ::testing::AssertionSuccess() : fail();
    }
    case ColumnKind::numeric: {
      std::smatch m;
      if (!std::regex_match(v, m, kDecimal)) return fail();
      const bool ok = m[2].length() == t.scale && m[1].length() <= t.precision - t.scale;
      return ok ? ::testing::AssertionSuccess() : fail();
    }
    case ColumnKind::date:
      return v.size() == 10 && dates.parse(v, day) ? ::testing::AssertionSuccess() : fail();
    case ColumnKind::timestamp:
      return std::regex_match(v, kTimestamp) && dates.parse(v, day) ? ::testing::AssertionSuccess()
                                                                    : fail();
    case ColumnKind::boolean:
      return v == "true" || v == "false" ? ::testing::AssertionSuccess() : fail();
    case ColumnKind::character:
      return utf8_length(v) == t.length ? ::testing::AssertionSuccess() : fail();
    case ColumnKind::varchar:
      return utf8_length(v) <= t.length ? ::testing::AssertionSuccess() : fail();
    default: return ::testing::AssertionSuccess();
  }
}

TEST(SampleData, ValuesFitTheirDeclaredTypes) {
  test::TempDir dir;
  NullProgress progress;
  generate_sample_data(dir / "f.tsv", rows_option(31 * 600), progress);
  const auto& columns = sample_columns();
  std::vector<std::size_t> empty(columns.size(), 0);
  const auto rows = rows_of(dir / "f.tsv");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (rows[i][c].empty()) {
        ++empty[c];
        ASSERT_FALSE(columns[c].required) << columns[c].name << " on line " << i + 1;
        continue;
      }
      ASSERT_TRUE(fits(rows[i][c], columns[c].type)) << columns[c].name << " on line " << i + 1;
    }
  }
  int always_empty = 0, sometimes_empty = 0;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const double share = static_cast<double>(empty[c]) / static_cast<double>(rows.size());
    always_empty += share == 1.0;
    sometimes_empty += share > 0.25 && share < 0.35;
  }
  EXPECT_EQ(always_empty, 1);
  EXPECT_GE(sometimes_empty, 4);
}

TEST(SampleData, OneDayCompressesLikeRealDataNotLikeFiller) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(3 * 3000);
  for (int d = 4; d <= 31; ++d) o.skip_days.push_back(d);
  generate_sample_data(dir / "f.tsv", o, progress);
  // One day alone: in big files a day is larger than zstd's window, so other days do not help.
  std::string day2;
  for (const auto& line : lines_of(slurp(dir / "f.tsv")))
    if (line.compare(0, 10, "2024-01-02") == 0) day2 += line + '\n';
  ASSERT_GT(day2.size(), 500'000u);
  std::string out(ZSTD_compressBound(day2.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), day2.data(), day2.size(), 3);
  ASSERT_FALSE(ZSTD_isError(n));
  const double ratio = static_cast<double>(day2.size()) / static_cast<double>(n);
  EXPECT_GT(ratio, 3.5);
  EXPECT_LT(ratio, 9.0);
}

TEST(SampleData, CommaDelimiterKeepsEveryFieldIntact) {
  test::TempDir dir;
  NullProgress progress;
  SampleDataOptions o = rows_option(2000);
  o.delimiter = ',';
  generate_sample_data(dir / "f.csv", o, progress);
  for (const auto& line : lines_of(slurp(dir / "f.csv"))) {
    ASSERT_EQ(split(line, ',').size(), kColumns) << line;
    ASSERT_EQ(line.find('"'), std::string::npos);
  }
}

class RecordingProgress final : public ProgressSink {
 public:
  void begin(std::string_view phase, std::string_view subject, std::uint64_t) override {
    events.push_back("begin " + std::string(phase) + " " + std::string(subject));
  }
  void update(const ProgressUpdate& u) override {
    last_bytes = u.done_bytes;
    last_rows = u.rows;
    ++updates;
  }
  void end(bool ok, std::string_view summary) override {
    events.push_back(std::string(ok ? "end ok " : "end failed ") + std::string(summary));
  }
  void note(std::string_view) override {}

  std::vector<std::string> events;
  std::uint64_t last_bytes = 0, last_rows = 0;
  int updates = 0;
};

TEST(SampleData, ReportsProgressInPhaseGenerate) {
  test::TempDir dir;
  RecordingProgress progress;
  SampleDataOptions o;
  o.target_bytes = 10'000'000;
  const SampleDataResult r = generate_sample_data(dir / "f.tsv", o, progress);
  ASSERT_EQ(progress.events.size(), 2u);
  EXPECT_EQ(progress.events[0], "begin generate " + (dir / "f.tsv").string());
  EXPECT_EQ(progress.events[1].rfind("end ok ", 0), 0u) << progress.events[1];
  EXPECT_GE(progress.updates, 2);
  EXPECT_EQ(progress.last_bytes, r.bytes);
  EXPECT_EQ(progress.last_rows, r.rows);
}

TEST(SampleData, WriteFailuresAreRuntimeErrorsNamingThePath) {
  test::TempDir dir;
  RecordingProgress progress;
  const auto missing = dir / "no-such-dir" / "f.tsv";
  try {
    generate_sample_data(missing, rows_option(10), progress);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(e.detail().find(missing.string()), std::string::npos) << e.report();
    EXPECT_FALSE(e.hint().empty());
  }
  EXPECT_EQ(progress.events.back().rfind("end failed", 0), 0u);

  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full to simulate a full disk";
  try {
    generate_sample_data("/dev/full", rows_option(100000), progress);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(e.detail().find("/dev/full"), std::string::npos) << e.report();
    EXPECT_NE(e.hint().find("space"), std::string::npos) << e.report();
  }
  EXPECT_TRUE(std::filesystem::exists("/dev/full"))
      << "only a regular file may be removed on failure";
}

TEST(SampleData, HalfWrittenFileIsRemovedOnFailure) {
  test::TempDir dir;
  NullProgress progress;
  // A file size limit makes write(2) fail with EFBIG part way, like a disk filling up.
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = 1 << 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  SampleDataOptions o;
  o.target_bytes = 20'000'000;
  EXPECT_THROW(generate_sample_data(dir / "f.tsv", o, progress), Error);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_FALSE(std::filesystem::exists(dir / "f.tsv"));
}

TEST(SampleData, InvalidOptionsAreUsageErrors) {
  test::TempDir dir;
  NullProgress progress;
  auto code_of = [&](const SampleDataOptions& o) {
    try {
      generate_sample_data(dir / "f.tsv", o, progress);
    } catch (const Error& e) {
      return e.code();
    }
    return ExitCode::ok;
  };
  SampleDataOptions neither;
  EXPECT_EQ(code_of(neither), ExitCode::usage);
  SampleDataOptions both = rows_option(10);
  both.target_bytes = 1000;
  EXPECT_EQ(code_of(both), ExitCode::usage);
  SampleDataOptions month = rows_option(10);
  month.month = 13;
  EXPECT_EQ(code_of(month), ExitCode::usage);
  SampleDataOptions day = rows_option(10);
  day.month = 2;
  day.skip_days = {30};
  EXPECT_EQ(code_of(day), ExitCode::usage);
  SampleDataOptions all = rows_option(10);
  for (int d = 1; d <= 31; ++d) all.skip_days.push_back(d);
  EXPECT_EQ(code_of(all), ExitCode::usage);
  SampleDataOptions delimiter = rows_option(10);
  delimiter.delimiter = '-';
  EXPECT_EQ(code_of(delimiter), ExitCode::usage);
  EXPECT_FALSE(std::filesystem::exists(dir / "f.tsv"));
}

}  // namespace
}  // namespace sluice
