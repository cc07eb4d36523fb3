#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "validators/profile/column_profile.h"

namespace sluice {
namespace {

// One column's values; "" is NULL (as an empty field is).
ColumnStats profile_of(const std::vector<std::string>& values) {
  ProfileSettings s;
  s.columns = 1;
  ColumnProfiler p(s);
  for (const auto& v : values) {
    p.field(0, v.data(), v.size(), v.empty(), 0);
    p.row_end(true);
  }
  return p.columns()[0];
}

std::string type_of(const std::vector<std::string>& values) { return to_string(profile_of(values).inferred_type()); }

TEST(ColumnProfile, NarrowestType) {
  EXPECT_EQ(type_of({"true", "false", "T", "no"}), "boolean");
  EXPECT_EQ(type_of({"1", "0", "1"}), "smallint");  // 0/1 stays a number
  EXPECT_EQ(type_of({"1", "-32768", "32767"}), "smallint");
  EXPECT_EQ(type_of({"1", "32768"}), "integer");
  EXPECT_EQ(type_of({"-2147483648", "2147483647"}), "integer");
  EXPECT_EQ(type_of({"3000000000"}), "bigint");
  EXPECT_EQ(type_of({"-9223372036854775808", "9223372036854775807"}), "bigint");
  EXPECT_EQ(type_of({"9223372036854775808"}), "numeric(19,0)");
  EXPECT_EQ(type_of({"12", "1.50", "-123.456"}), "numeric(6,3)");
  EXPECT_EQ(type_of({"0.25", "0.5"}), "numeric(2,2)");
  EXPECT_EQ(type_of({"2024-01-31", "2024-02-01"}), "date");
  EXPECT_EQ(type_of({"12/31/2023", "1/5/2024"}), "date");
  EXPECT_EQ(type_of({"20240131", "20240201"}), "integer");  // integer is narrower; still a date candidate
  EXPECT_EQ(type_of({"2024-01-01 10:00:00", "2024-01-01", "2024-01-02T23:59:59.123456"}), "timestamp");
  EXPECT_EQ(type_of({"2024-01-01 10:00:00Z", "2024-01-01 10:00:00+01:00"}), "timestamptz");
  EXPECT_EQ(type_of({"Zürich", "ab"}), "varchar(6)");  // characters, not bytes
  EXPECT_EQ(type_of({"007", "12"}), "varchar(3)");     // leading zeros: a code, not a number
  EXPECT_EQ(type_of({"1e5"}), "varchar(3)");
  EXPECT_EQ(type_of({"2024-02-30"}), "varchar(10)");   // not a real day
  EXPECT_EQ(type_of({"", ""}), "text");                // nothing to go by
  EXPECT_EQ(type_of({"", "5", ""}), "smallint");       // NULLs do not widen
}

TEST(ColumnProfile, CountsNullsAndValues) {
  const ColumnStats s = profile_of({"a", "", "b", "", ""});
  EXPECT_EQ(s.values, 2u);
  EXPECT_EQ(s.nulls, 3u);
}

TEST(ColumnProfile, MinMaxInTheTypesOrder) {
  auto minmax = [](const std::vector<std::string>& v) {
    const ColumnStats s = profile_of(v);
    return s.min() + " " + s.max();
  };
  EXPECT_EQ(minmax({"9", "10", "-2"}), "-2 10");                    // numbers, not text order
  EXPECT_EQ(minmax({"9.5", "10.25", "-0.5", "-0.25"}), "-0.5 10.25");
  EXPECT_EQ(minmax({"100", "5", "2.5"}), "2.5 100");                // integers, then a decimal
  EXPECT_EQ(minmax({"12/31/2023", "1/5/2024", "6/1/2023"}), "6/1/2023 1/5/2024");  // by day
  EXPECT_EQ(minmax({"pear", "Apple", "banana"}), "Apple pear");     // bytes
  EXPECT_EQ(minmax({"false", "true"}), "false true");
  EXPECT_EQ(minmax({"", ""}), " ");
}

TEST(ColumnProfile, RepeatedValuesAreCountedInFull) {
  const ColumnStats s = profile_of({"5", "5", "5", "7", "7", "", "7"});
  EXPECT_EQ(s.values, 6u);
  EXPECT_EQ(s.nulls, 1u);
  EXPECT_EQ(s.distinct_estimate(), 2u);
  EXPECT_EQ(s.min() + " " + s.max(), "5 7");

  ProfileSettings settings;
  settings.columns = 1;
  settings.date_columns_auto = true;
  ColumnProfiler p(settings);
  for (const std::string v : {"2024-01-01", "2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"}) {
    p.field(0, v.data(), v.size(), false, 0);
    p.row_end(true);
  }
  ASSERT_TRUE(p.histogram(0));
  EXPECT_EQ(p.histogram(0)->rows_per_day,
            (std::map<DayNumber, std::uint64_t>{{days_from_civil(2024, 1, 1), 3}, {days_from_civil(2024, 1, 2), 2}}));
  // A repeat after the column stopped being dates is not a date either.
  for (const std::string v : {"soon", "2024-01-02"}) {
    p.field(0, v.data(), v.size(), false, 0);
    p.row_end(true);
  }
  EXPECT_FALSE(p.histogram(0));
  EXPECT_EQ(to_string(p.columns()[0].inferred_type()), "varchar(10)");
}

TEST(ColumnProfile, LongValuesAreCappedForMinMax) {
  const std::string long_a = std::string(200, 'a'), long_b = "b" + std::string(100, 'x');
  const ColumnStats s = profile_of({long_a, long_b});
  EXPECT_EQ(s.min(), std::string(64, 'a') + "...");
  EXPECT_EQ(s.max(), "b" + std::string(63, 'x') + "...");
  EXPECT_EQ(to_string(s.inferred_type()), "varchar(200)");
  // A cut never splits a UTF-8 character.
  const ColumnStats u = profile_of({std::string(63, 'a') + "é" + "tail"});
  EXPECT_EQ(u.max(), std::string(63, 'a') + "...");
  const ColumnStats whole_char = profile_of({std::string(62, 'a') + "é" + "tail"});
  EXPECT_EQ(whole_char.max(), std::string(62, 'a') + "é...");
}

TEST(ColumnProfile, MergeEqualsOnePass) {
  const std::vector<std::string> values = {"100", "", "5", "2.5", "7.25", "", "-3", "1000.125"};
  const ColumnStats whole = profile_of(values);
  ProfileSettings s;
  s.columns = 1;
  for (std::size_t cut = 0; cut <= values.size(); ++cut) {
    ColumnProfiler a(s), b(s);
    for (std::size_t i = 0; i < values.size(); ++i) {
      ColumnProfiler& p = i < cut ? a : b;
      p.field(0, values[i].data(), values[i].size(), values[i].empty(), 0);
      p.row_end(true);
    }
    a.merge(b);
    const ColumnStats& m = a.columns()[0];
    EXPECT_EQ(to_string(m.inferred_type()), "numeric(7,3)") << cut;
    EXPECT_EQ(m.min(), "-3") << cut;
    EXPECT_EQ(m.max(), "1000.125") << cut;
    EXPECT_EQ(m.values, 6u);
    EXPECT_EQ(m.nulls, 2u);
    EXPECT_EQ(m.distinct_estimate(), whole.distinct_estimate());
    EXPECT_EQ(a.rows(), 8u);
    EXPECT_EQ(b.rows(), 0u) << "merge clears the merged profile";
    EXPECT_EQ(b.columns()[0].values, 0u);
  }
  EXPECT_EQ(to_string(whole.inferred_type()), "numeric(7,3)");
}

TEST(ColumnProfile, HyperLogLogWithinItsErrorBound) {
  // Standard error 1.15%; 3.5% is three standard errors.
  for (const std::uint64_t n : {10u, 1000u, 20000u, 100000u, 1000000u}) {
    HyperLogLog h;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::string v = "value-" + std::to_string(i);
      h.add(v.data(), v.size());
      if (i % 3 == 0) h.add(v.data(), v.size());  // repeats do not count
    }
    const double e = h.estimate();
    EXPECT_NEAR(e, static_cast<double>(n), std::max(0.035 * static_cast<double>(n), 0.5)) << n;
  }
  EXPECT_EQ(HyperLogLog().estimate(), 0.0);
}

TEST(ColumnProfile, HyperLogLogSmallCountsAreExact) {
  HyperLogLog a, b;
  for (int i = 0; i < 128; ++i) {
    const std::string v = "code" + std::to_string(i);
    a.add(v.data(), v.size());
    a.add(v.data(), v.size());
  }
  EXPECT_EQ(a.estimate(), 128.0);
  for (int i = 100; i < 200; ++i) {
    const std::string v = "code" + std::to_string(i);
    b.add(v.data(), v.size());
  }
  EXPECT_EQ(b.estimate(), 100.0);
  a.merge(b);  // 200 distinct: past the exact set, into the registers
  EXPECT_NEAR(a.estimate(), 200.0, 0.035 * 200);
  a.clear();
  EXPECT_EQ(a.estimate(), 0.0);
}

TEST(ColumnProfile, HyperLogLogMergeIsTheUnion) {
  HyperLogLog a, b;
  for (int i = 0; i < 60000; ++i) {
    const std::string v = std::to_string(i);
    (i < 40000 ? a : b).add(v.data(), v.size());
    if (i >= 20000 && i < 40000) b.add(v.data(), v.size());  // overlap 20000..39999
  }
  a.merge(b);
  EXPECT_NEAR(a.estimate(), 60000.0, 0.035 * 60000);
}

TEST(ColumnProfile, DistinctNeverExceedsValues) {
  // Up to 128 values the sketch is exact; past that its estimate of all-distinct values is
  // sometimes above their number, and "1,003 distinct of 1,000 values" must not be printed.
  ProfileSettings s;
  s.columns = 1;
  ColumnProfiler p(s);
  std::uint64_t over = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string v = "id-" + std::to_string(i);
    p.field(0, v.data(), v.size(), false, 0);
    p.row_end(true);
    const ColumnStats& c = p.columns()[0];
    if (i < 128) continue;
    over += std::round(c.distinct.estimate()) > static_cast<double>(c.values);
    ASSERT_LE(c.distinct_estimate(), c.values) << i;
  }
  EXPECT_GT(over, 0u) << "the sketch never overestimated: the clamp was not exercised";
}

TEST(ColumnProfile, RowsPerDayOfTheDateColumn) {
  ProfileSettings s;
  s.columns = 2;
  s.date_columns = {1};
  ColumnProfiler p(s);
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"a", "2024-01-01"}, {"b", "2024-01-01"}, {"c", "2024-01-03"}, {"d", ""}, {"e", "bad"}, {"f", "20240101"}};
  for (const auto& [x, d] : rows) {
    p.field(0, x.data(), x.size(), false, 0);
    p.field(1, d.data(), d.size(), d.empty(), 0);
    p.row_end(true);
  }
  const auto h = p.histogram(1);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rows_per_day, (std::map<DayNumber, std::uint64_t>{{days_from_civil(2024, 1, 1), 3}, {days_from_civil(2024, 1, 3), 1}}));
  EXPECT_EQ(h->empty, 1u);
  EXPECT_EQ(h->not_a_date, 1u);
  EXPECT_FALSE(p.histogram(0));
}

TEST(ColumnProfile, AutoDateColumnsDropAColumnOnItsFirstNonDate) {
  ProfileSettings s;
  s.columns = 2;
  s.date_columns_auto = true;
  ColumnProfiler total(s), chunk(s);
  auto row = [](ColumnProfiler& p, const std::string& a, const std::string& b) {
    p.field(0, a.data(), a.size(), a.empty(), 0);
    p.field(1, b.data(), b.size(), b.empty(), 0);
    p.row_end(true);
  };
  row(total, "2024-01-01", "2024-01-01");
  row(chunk, "2024-01-02", "2024-01-02");
  row(chunk, "2024-01-02", "n/a");
  total.merge(chunk);
  ASSERT_TRUE(total.histogram(0));
  EXPECT_EQ(total.histogram(0)->rows_per_day.size(), 2u);
  EXPECT_FALSE(total.histogram(1));
  EXPECT_TRUE(total.columns()[0].all_days());
  EXPECT_FALSE(total.columns()[1].all_days());
}

TEST(ColumnProfile, AutoDateColumnsSpanningTooManyDaysHaveNoHistogram) {
  ProfileSettings s;
  s.columns = 1;
  s.date_columns_auto = true;
  ColumnProfiler p(s);
  for (DayNumber d = 0; d < static_cast<DayNumber>(ProfileSettings::kAutoMaxDays) + 1; ++d) {
    const std::string v = format_iso(d);
    p.field(0, v.data(), v.size(), false, 0);
    p.row_end(true);
  }
  EXPECT_TRUE(p.columns()[0].all_days());
  EXPECT_FALSE(p.histogram(0));
}

TEST(ColumnProfile, DayCountsMemoryIsBounded) {
  DayCounts h;
  for (DayNumber d = 0; d < 60000; ++d) h.add(d);
  h.add(7);
  EXPECT_EQ(h.sorted().size(), DayCounts::kMaxDays);
  EXPECT_EQ(h.dropped(), 10000u);
  EXPECT_EQ(h.sorted().at(7), 2u);
}

TEST(ColumnProfile, ValueShapes) {
  NumberShape n;
  EXPECT_TRUE(parse_number_shape("-0.5", 4, n));
  EXPECT_TRUE(n.negative);
  EXPECT_EQ(n.int_digits, 0);
  EXPECT_EQ(n.frac_digits, 1);
  EXPECT_FALSE(parse_number_shape("5.", 2, n));
  EXPECT_FALSE(parse_number_shape("-", 1, n));
  EXPECT_FALSE(parse_number_shape("1,5", 3, n));
  bool tz = false;
  EXPECT_TRUE(is_timestamp_text("2024-01-01 00:00", 16, tz));
  EXPECT_FALSE(tz);
  EXPECT_FALSE(is_timestamp_text("2024-01-01 24:00", 16, tz));
  EXPECT_TRUE(is_timestamp_text("2024-01-01T10:00:00-0530", 24, tz));
  EXPECT_TRUE(tz);
  EXPECT_EQ(compare_numbers("-10", "-9"), -1);
  EXPECT_EQ(compare_numbers("0.50", ".5"), 0);
  EXPECT_EQ(compare_numbers("-0", "0"), 0);
  EXPECT_EQ(compare_numbers("123.4", "99.99"), 1);
}

}  // namespace
}  // namespace sluice
