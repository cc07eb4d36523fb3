// The types config generate proposes (validators/profile/type_proposal.h): room for next month's
// file, CHECK notes where a person must decide, and the order of N/N/YYYY dates with its evidence.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "validators/profile/type_proposal.h"

namespace sluice {
namespace {

// One column's values on lines 2, 3, ... (a header on line 1); "" is NULL. The rows are cut into
// two chunks merged in file order, as the pipeline does, so lines must come out as file lines.
ColumnProfiler profile(const std::vector<std::string>& values, bool auto_dates = false) {
  ProfileSettings s;
  s.columns = 1;
  s.date_columns_auto = auto_dates;
  ColumnProfiler total(s), second(s);
  const std::size_t cut = values.size() / 2;
  for (std::size_t i = 0; i < values.size(); ++i) {
    ColumnProfiler& p = i < cut ? total : second;
    const std::uint64_t line = i < cut ? i + 2 : i - cut;  // the second chunk's lines are its own
    p.field(0, values[i].data(), values[i].size(), values[i].empty(), line);
    p.row_end(true);
  }
  total.merge(second, cut + 2);
  return total;
}

TypeProposal proposal(const std::vector<std::string>& values) { return propose_type(profile(values).columns()[0]); }
std::string proposed(const std::vector<std::string>& values) { return to_string(proposal(values).type); }
std::string observed(const std::vector<std::string>& values) { return to_string(profile(values).columns()[0].inferred_type()); }

bool mentions(const std::vector<std::string>& notes, const std::string& part) {
  for (const auto& n : notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

TEST(TypeProposal, StringsAreTextNeverTheLongestLengthSeen) {
  const std::vector<std::string> codes = {"AB12345", "XY", "Q"};
  EXPECT_EQ(observed(codes), "varchar(7)");  // what this file needs
  EXPECT_EQ(proposed(codes), "text");        // next month's 9-character code must load too
  EXPECT_EQ(proposed({"007", "12"}), "text");
  EXPECT_TRUE(proposal(codes).checks.empty());
}

TEST(TypeProposal, IntegersAreBigintWhateverTheirSizeThisMonth) {
  EXPECT_EQ(observed({"1", "12"}), "smallint");
  EXPECT_EQ(proposed({"1", "12"}), "bigint");
  EXPECT_EQ(proposed({"40000", "-2"}), "bigint");
  EXPECT_EQ(proposed({"3000000000"}), "bigint");
  EXPECT_EQ(proposed({"20240131", "20240201"}), "bigint");
}

TEST(TypeProposal, DecimalsGetPrecisionHeadroomAndTheScaleSeen) {
  EXPECT_EQ(observed({"12.50", "7.25"}), "numeric(4,2)");
  EXPECT_EQ(proposed({"12.50", "7.25"}), "numeric(18,2)");
  EXPECT_EQ(proposed({"0.123456"}), "numeric(18,6)");
  // Three integer digits beyond the largest value once 18 are not enough ...
  EXPECT_EQ(proposed({"123456789012345678.5"}), "numeric(22,1)");
  // ... but headroom alone never passes Snowflake's 38 digits,
  EXPECT_EQ(proposed({std::string(34, '9') + ".25"}), "numeric(38,2)");
  // which only values that need more digits do, with a CHECK.
  const TypeProposal wide = proposal({std::string(39, '9') + ".5"});
  EXPECT_EQ(to_string(wide.type), "numeric(40,1)");
  EXPECT_TRUE(mentions(wide.checks, "Snowflake")) << ::testing::PrintToString(wide.checks);
  // Integers too long for bigint are numbers with no scale.
  EXPECT_EQ(proposed({"92233720368547758070"}), "numeric(23,0)");
}

TEST(TypeProposal, VaryingDecimalPlacesAreACheckWithTheValuesAndLines) {
  const TypeProposal p = proposal({"12", "7.5", "3.25", "8.5"});
  EXPECT_EQ(to_string(p.type), "numeric(18,2)");
  ASSERT_EQ(p.checks.size(), 1u);
  const std::string& check = p.checks[0];
  EXPECT_NE(check.find("has 0 to 2 decimal places"), std::string::npos) << check;
  EXPECT_NE(check.find("12 at line 2"), std::string::npos) << check;
  EXPECT_NE(check.find("3.25 at line 4"), std::string::npos) << check;  // in the second chunk
  EXPECT_NE(check.find("rounded"), std::string::npos) << check;
  EXPECT_TRUE(proposal({"1.50", "2.25"}).checks.empty());  // one scale: nothing to decide
}

TEST(TypeProposal, BooleansDatesAndTimestampsAsSeen) {
  EXPECT_EQ(proposed({"true", "false"}), "boolean");
  EXPECT_EQ(proposed({"2024-01-31", "2024-02-01"}), "date");
  EXPECT_EQ(proposed({"2024-01-01 10:00:00", "2024-01-02T23:59:59"}), "timestamp");
  EXPECT_EQ(proposed({"2024-01-01 10:00:00Z", "2024-01-01 10:00:00+01:00"}), "timestamptz");
  const TypeProposal empty = proposal({"", ""});
  EXPECT_EQ(to_string(empty.type), "text");
  EXPECT_TRUE(mentions(empty.checks, "always empty"));
}

TEST(TypeProposal, ATimestampColumnIsACandidateDateColumnCountedByItsDate) {
  const ColumnProfiler p =
      profile({"2024-01-05 13:45:00", "2024-01-05T23:59:59.5", "2024-01-06 00:00:00+01:00", "2024-01-07T08:00Z"}, true);
  EXPECT_TRUE(p.columns()[0].all_days());
  const auto h = p.histogram(0);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rows_per_day, (std::map<DayNumber, std::uint64_t>{{days_from_civil(2024, 1, 5), 2},
                                                                    {days_from_civil(2024, 1, 6), 1},
                                                                    {days_from_civil(2024, 1, 7), 1}}));
  // A timestamp that is not one is no day either.
  EXPECT_FALSE(profile({"2024-01-05 13:45:00", "2024-01-05 25:00:00"}, true).histogram(0));
}

TEST(TypeProposal, DatesWithBothPartsUpTo12AreAmbiguousWithTheEvidence) {
  const std::vector<std::string> values = {"01/02/2024", "03/04/2024", "05/05/2024", "11/12/2024"};
  const TypeProposal p = proposal(values);
  const DateOrder& o = p.date_order;
  EXPECT_EQ(o.kind, DateOrder::Kind::ambiguous);
  EXPECT_EQ(o.values, 4u);
  EXPECT_NE(o.evidence.find("ambiguous: month-first or day-first"), std::string::npos) << o.evidence;
  EXPECT_NE(o.evidence.find("4 values"), std::string::npos) << o.evidence;
  EXPECT_NE(o.evidence.find("all with both parts <= 12"), std::string::npos) << o.evidence;
  EXPECT_NE(o.evidence.find("01/02/2024 at line 2"), std::string::npos) << o.evidence;
  EXPECT_NE(o.evidence.find("11/12/2024 at line 5"), std::string::npos) << o.evidence;
  EXPECT_EQ(o.evidence.find("05/05/2024"), std::string::npos) << "equal parts read the same either way";
  ASSERT_EQ(o.date_formats.size(), 2u);
  EXPECT_EQ(o.date_formats[0].format, "%m/%d/%Y");
  EXPECT_EQ(o.date_formats[0].order, DateOrder::Kind::month_first);
  EXPECT_EQ(o.date_formats[1].format, "%d/%m/%Y");
  EXPECT_EQ(o.date_formats[1].order, DateOrder::Kind::day_first);
  // PostgreSQL would read them month-first as dates: the proposal keeps them as written, and says why.
  EXPECT_EQ(observed(values), "date");
  EXPECT_EQ(to_string(p.type), "text");
  EXPECT_TRUE(mentions(p.checks, "ambiguous: month-first or day-first")) << ::testing::PrintToString(p.checks);
}

TEST(TypeProposal, AFirstPartOver12ProvesDayFirstNamingTheValueAndItsLine) {
  const std::vector<std::string> values = {"01/02/2024", "2/2/2024", "13/02/2024", "28/02/2024"};
  const TypeProposal p = proposal(values);
  const DateOrder& o = p.date_order;
  EXPECT_EQ(o.kind, DateOrder::Kind::day_first);
  EXPECT_NE(o.evidence.find("13/02/2024 at line 4 has 13 as its first part"), std::string::npos) << o.evidence;
  ASSERT_EQ(o.examples.size(), 1u);
  EXPECT_EQ(o.examples[0].line, 4u);
  ASSERT_EQ(o.date_formats.size(), 1u);
  EXPECT_EQ(o.date_formats[0].format, "%d/%m/%Y");
  EXPECT_EQ(to_string(p.type), "text");  // PostgreSQL's date type reads them month-first
  EXPECT_TRUE(p.checks.empty());
  // As a date column its days are read day-first.
  const auto h = profile(values, true).histogram(0);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rows_per_day, (std::map<DayNumber, std::uint64_t>{{days_from_civil(2024, 2, 1), 1},
                                                                    {days_from_civil(2024, 2, 2), 1},
                                                                    {days_from_civil(2024, 2, 13), 1},
                                                                    {days_from_civil(2024, 2, 28), 1}}));
}

TEST(TypeProposal, ASecondPartOver12ProvesMonthFirst) {
  const TypeProposal p = proposal({"01/02/2024", "02/13/2024", "12/31/2024"});
  EXPECT_EQ(p.date_order.kind, DateOrder::Kind::month_first);
  EXPECT_NE(p.date_order.evidence.find("02/13/2024 at line 3 has 13 as its second part"), std::string::npos)
      << p.date_order.evidence;
  EXPECT_TRUE(p.date_order.date_formats.empty());  // the automatic forms read N/N/YYYY month-first
  EXPECT_EQ(to_string(p.type), "date");
  // Another separator needs a date_format either way.
  const TypeProposal dots = proposal({"31.01.2024", "01.02.2024"});
  EXPECT_EQ(dots.date_order.kind, DateOrder::Kind::day_first);
  ASSERT_EQ(dots.date_order.date_formats.size(), 1u);
  EXPECT_EQ(dots.date_order.date_formats[0].format, "%d.%m.%Y");
}

TEST(TypeProposal, ValuesThatNeedBothOrdersAreNoDates) {
  // 13/01 is day-first only, 01/13 month-first only: no order reads the column.
  const ColumnProfiler p = profile({"13/01/2024", "01/02/2024", "01/13/2024"}, true);
  EXPECT_FALSE(p.columns()[0].all_days());
  EXPECT_FALSE(p.histogram(0));
  EXPECT_EQ(propose_type(p.columns()[0]).date_order.kind, DateOrder::Kind::none);
  EXPECT_FALSE(profile({"01/02/2024", "01.03.2024"}, true).columns()[0].all_days());  // two separators
}

TEST(TypeProposal, EqualPartsReadTheSameEitherWay) {
  const TypeProposal p = proposal({"01/01/2024", "02/02/2024"});
  EXPECT_EQ(p.date_order.kind, DateOrder::Kind::either);
  EXPECT_EQ(to_string(p.type), "date");
  EXPECT_TRUE(p.checks.empty());
}

}  // namespace
}  // namespace sluice
