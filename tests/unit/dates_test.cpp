#include <gtest/gtest.h>

#include "core/dates.h"

namespace sluice {
namespace {

std::string parsed(const DateParser& p, std::string_view s) {
  DayNumber d;
  return p.parse(s, d) ? format_iso(d) : "invalid";
}

TEST(Dates, CivilRoundTripAcrossCenturies) {
  for (DayNumber d = days_from_civil(1899, 12, 1); d < days_from_civil(2101, 3, 1); ++d) {
    const CivilDate c = civil_from_days(d);
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), d);
    ASSERT_TRUE(is_valid_date(c.year, c.month, c.day));
  }
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(format_iso(days_from_civil(2024, 2, 29)), "2024-02-29");
}

TEST(Dates, LeapYearsFollowTheGregorianRules) {
  EXPECT_EQ(days_in_month(2024, 2), 29);
  EXPECT_EQ(days_in_month(2023, 2), 28);
  EXPECT_EQ(days_in_month(1900, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
  EXPECT_FALSE(is_valid_date(2024, 2, 30));
  EXPECT_FALSE(is_valid_date(2024, 4, 31));
  EXPECT_FALSE(is_valid_date(2024, 13, 1));
}

TEST(Dates, AutoParserAcceptsTheThreeForms) {
  DateParser p;
  EXPECT_EQ(parsed(p, "2024-01-31"), "2024-01-31");
  EXPECT_EQ(parsed(p, "20240131"), "2024-01-31");
  EXPECT_EQ(parsed(p, "01/31/2024"), "2024-01-31");
  EXPECT_EQ(parsed(p, "1/5/2024"), "2024-01-05");
  EXPECT_EQ(parsed(p, "2024-01-31 23:59:59"), "2024-01-31");
  EXPECT_EQ(parsed(p, "2024-01-31T00:00:00Z"), "2024-01-31");
}

TEST(Dates, AutoParserRejectsImpossibleAndMalformedDates) {
  DateParser p;
  for (const char* bad : {"2024-02-30", "20240230", "02/30/2024", "2024-13-01", "2024-1-5", "2024/01/05",
                          "", "abc", "2024-01-31x", "31/01/2024", "202401311", "2024-01-3 "})
    EXPECT_EQ(parsed(p, bad), "invalid") << bad;
}

TEST(Dates, CustomFormat) {
  auto p = DateParser::with_format("%d.%m.%Y");
  ASSERT_TRUE(p);
  EXPECT_EQ(parsed(*p, "31.01.2024"), "2024-01-31");
  EXPECT_EQ(parsed(*p, "2024-01-31"), "invalid");
  EXPECT_EQ(parsed(*p, "30.02.2024"), "invalid");
  EXPECT_FALSE(DateParser::with_format("%Y-%m"));
  EXPECT_FALSE(DateParser::with_format("%Y-%m-%q"));
}

TEST(Dates, CustomFormatTakesOneDigitMonthsAndDaysBeforeASeparator) {
  // As exporters write day-first dates: the date_format config generate suggests must read them.
  auto p = DateParser::with_format("%d/%m/%Y");
  ASSERT_TRUE(p);
  EXPECT_EQ(parsed(*p, "1/2/2024"), "2024-02-01");
  EXPECT_EQ(parsed(*p, "13/2/2024"), "2024-02-13");
  EXPECT_EQ(parsed(*p, "5/11/2024"), "2024-11-05");
  EXPECT_EQ(parsed(*p, "05/11/2024"), "2024-11-05");
  for (const char* bad : {"/2/2024", "1//2024", "123/2/2024", "1/2/24", "32/1/2024", "1/13/2024"})
    EXPECT_EQ(parsed(*p, bad), "invalid") << bad;
  // Without a separator after them the width is all that delimits the parts: two digits each.
  auto compact = DateParser::with_format("%Y%m%d");
  ASSERT_TRUE(compact);
  EXPECT_EQ(parsed(*compact, "20240105"), "2024-01-05");
  EXPECT_EQ(parsed(*compact, "2024015"), "invalid");
  EXPECT_EQ(parsed(*compact, "202415"), "invalid");
}

TEST(Dates, MonthAndRangeFromText) {
  auto m = parse_month("2024-02");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->str(), "2024-02-01..2024-02-29");
  EXPECT_EQ(m->days(), 29);
  EXPECT_FALSE(parse_month("2024-13"));
  EXPECT_FALSE(parse_month("202402"));
  auto r = parse_compact_range("20240105-20240110");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->days(), 6);
  EXPECT_FALSE(parse_compact_range("20240110-20240105"));
  EXPECT_FALSE(parse_compact_range("20240230-20240301"));
}

}  // namespace
}  // namespace sluice
