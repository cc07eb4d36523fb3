// Calendar dates as day numbers (days since 1970-01-01) and the parsers file QC runs on every row.
// Hand-written because it sits on the hot path: no allocation, no locale, no strptime.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

using DayNumber = std::int32_t;

struct CivilDate {
  int year = 1970, month = 1, day = 1;
};

DayNumber days_from_civil(int year, int month, int day);
CivilDate civil_from_days(DayNumber day);
int days_in_month(int year, int month);
bool is_valid_date(int year, int month, int day);

std::string format_iso(DayNumber day);      // 2024-01-31
std::string format_compact(DayNumber day);  // 20240131
// Every spelling of a day the file QC's automatic date forms accept: 2024-01-05, 20240105,
// 01/05/2024, 1/5/2024. A text date column matches a day by these.
std::vector<std::string> day_spellings(DayNumber day);

// A moment (now by default) as strftime writes `format`, in UTC or in the local time zone.
enum class TimeZone { utc, local };
std::string format_time(const char* format, TimeZone zone, std::time_t t = std::time(nullptr));

// An inclusive range of days.
struct DateRange {
  DayNumber first = 0, last = -1;
  bool contains(DayNumber d) const { return d >= first && d <= last; }
  std::int64_t days() const { return last >= first ? std::int64_t(last) - first + 1 : 0; }
  std::string str() const;  // "2024-01-01..2024-01-31"
  static DateRange month(int year, int month);
  bool operator==(const DateRange&) const = default;
};

// "2024-01" -> the month; nullopt when malformed or out of range.
std::optional<DateRange> parse_month(std::string_view yyyy_mm);
// "20240101-20240131" -> the range; nullopt when malformed, invalid, or reversed.
std::optional<DateRange> parse_compact_range(std::string_view text);

// Parses the values of a date column. Auto mode accepts YYYY-MM-DD (optionally followed by a time,
// as in a timestamp column), YYYYMMDD (also as an integer column) and MM/DD/YYYY (M and D may be
// one digit). A custom format uses %Y %m %d and literal characters (e.g. "%d.%m.%Y"); %m and %d
// take one or two digits when a literal follows them, else exactly two.
class DateParser {
 public:
  DateParser() = default;
  // Throws nothing; returns nullopt when `format` has an unknown % directive or lacks %Y/%m/%d.
  static std::optional<DateParser> with_format(std::string_view format);

  // true and sets `day` when `text` is a valid calendar date in an accepted form.
  bool parse(std::string_view text, DayNumber& day) const;
  const std::string& format() const { return format_; }  // "" = auto

 private:
  bool parse_custom(std::string_view text, DayNumber& day) const;
  std::string format_;
};

// "2024-01-05" -> the day; nullopt when malformed or not a real day.
std::optional<DayNumber> parse_iso_day(std::string_view text);

}  // namespace sluice
