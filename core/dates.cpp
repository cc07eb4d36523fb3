#include "core/dates.h"

#include <fmt/format.h>

namespace sluice {

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
DayNumber days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int>(doe) - 719468;
}

CivilDate civil_from_days(DayNumber z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), static_cast<int>(m), static_cast<int>(d)};
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2) return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
  return kDays[m - 1];
}

bool is_valid_date(int y, int m, int d) {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

std::string format_iso(DayNumber day) {
  auto c = civil_from_days(day);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

std::string format_compact(DayNumber day) {
  auto c = civil_from_days(day);
  return fmt::format("{:04}{:02}{:02}", c.year, c.month, c.day);
}

std::string DateRange::str() const { return format_iso(first) + ".." + format_iso(last); }

DateRange DateRange::month(int year, int month) {
  return {days_from_civil(year, month, 1), days_from_civil(year, month, days_in_month(year, month))};
}

namespace {

// Reads exactly n ASCII digits.
inline bool digits(const char* p, int n, int& out) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned c = static_cast<unsigned char>(p[i]) - '0';
    if (c > 9) return false;
    v = v * 10 + static_cast<int>(c);
  }
  out = v;
  return true;
}

// Reads one or two digits followed by `sep`; advances p.
inline bool short_number(const char*& p, const char* end, char sep, int& out) {
  int v = 0, n = 0;
  while (p < end && *p != sep && n < 3) {
    const unsigned c = static_cast<unsigned char>(*p) - '0';
    if (c > 9) return false;
    v = v * 10 + static_cast<int>(c);
    ++p;
    ++n;
  }
  if (n == 0 || n > 2 || p == end) return false;
  ++p;  // the separator
  out = v;
  return true;
}

inline bool make_day(int y, int m, int d, DayNumber& day) {
  if (!is_valid_date(y, m, d)) return false;
  day = days_from_civil(y, m, d);
  return true;
}

}  // namespace

std::optional<DateRange> parse_month(std::string_view s) {
  int y, m;
  if (s.size() != 7 || s[4] != '-' || !digits(s.data(), 4, y) || !digits(s.data() + 5, 2, m) ||
      m < 1 || m > 12 || y < 1)
    return std::nullopt;
  return DateRange::month(y, m);
}

std::optional<DateRange> parse_compact_range(std::string_view s) {
  int y1, m1, d1, y2, m2, d2;
  if (s.size() != 17 || s[8] != '-' || !digits(s.data(), 4, y1) || !digits(s.data() + 4, 2, m1) ||
      !digits(s.data() + 6, 2, d1) || !digits(s.data() + 9, 4, y2) ||
      !digits(s.data() + 13, 2, m2) || !digits(s.data() + 15, 2, d2))
    return std::nullopt;
  DateRange r;
  if (!make_day(y1, m1, d1, r.first) || !make_day(y2, m2, d2, r.last) || r.last < r.first)
    return std::nullopt;
  return r;
}

std::optional<DateParser> DateParser::with_format(std::string_view format) {
  bool y = false, m = false, d = false;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (++i == format.size()) return std::nullopt;
    switch (format[i]) {
      case 'Y': y = true; break;
      case 'm': m = true; break;
      case 'd': d = true; break;
      case '%': break;
      default: return std::nullopt;
    }
  }
  if (!y || !m || !d) return std::nullopt;
  DateParser p;
  p.format_ = std::string(format);
  return p;
}

bool DateParser::parse(std::string_view s, DayNumber& day) const {
  if (!format_.empty()) return parse_custom(s, day);
  const char* p = s.data();
  int y, m, d;
  if (s.size() >= 10 && p[4] == '-' && p[7] == '-') {
    // ISO date, or the date part of an ISO timestamp.
    if (s.size() > 10 && p[10] != ' ' && p[10] != 'T') return false;
    return digits(p, 4, y) && digits(p + 5, 2, m) && digits(p + 8, 2, d) && make_day(y, m, d, day);
  }
  if (s.size() == 8 && p[1] != '/' && p[2] != '/')
    return digits(p, 4, y) && digits(p + 4, 2, m) && digits(p + 6, 2, d) && make_day(y, m, d, day);
  if (s.size() >= 8 && s.size() <= 10) {
    const char* end = p + s.size();
    if (!short_number(p, end, '/', m) || !short_number(p, end, '/', d) || end - p != 4) return false;
    return digits(p, 4, y) && make_day(y, m, d, day);
  }
  return false;
}

bool DateParser::parse_custom(std::string_view s, DayNumber& day) const {
  int y = 0, m = 0, d = 0;
  size_t pos = 0;
  for (size_t i = 0; i < format_.size(); ++i) {
    const char f = format_[i];
    if (f == '%' && i + 1 < format_.size() && format_[i + 1] != '%') {
      const char spec = format_[++i];
      int width = spec == 'Y' ? 4 : 2;
      // A month or day followed by a literal may have one digit ("1/5/2024" with "%d/%m/%Y"), as
      // exporters write it; without a separator after it ("%Y%m%d") the width alone delimits it.
      const bool separated = i + 1 < format_.size() && format_[i + 1] != '%';
      if (spec != 'Y' && separated && pos + 1 < s.size() && s[pos + 1] == format_[i + 1]) width = 1;
      if (pos + width > s.size()) return false;
      int v;
      if (!digits(s.data() + pos, width, v)) return false;
      (spec == 'Y' ? y : spec == 'm' ? m : d) = v;
      pos += width;
    } else {
      if (f == '%') ++i;  // "%%" is a literal percent sign
      if (pos >= s.size() || s[pos] != f) return false;
      ++pos;
    }
  }
  return pos == s.size() && make_day(y, m, d, day);
}

std::optional<DayNumber> parse_iso_day(std::string_view text) {
  static const DateParser iso = *DateParser::with_format("%Y-%m-%d");
  DayNumber day = 0;
  if (text.size() != 10 || !iso.parse(text, day)) return std::nullopt;
  return day;
}

std::vector<std::string> day_spellings(DayNumber day) {
  const CivilDate cd = civil_from_days(day);
  return {format_iso(day), format_compact(day), fmt::format("{:02}/{:02}/{:04}", cd.month, cd.day, cd.year),
          fmt::format("{}/{}/{:04}", cd.month, cd.day, cd.year)};
}

std::string format_time(const char* format, TimeZone zone, std::time_t t) {
  std::tm tm{};
  if (zone == TimeZone::utc) gmtime_r(&t, &tm);
  else localtime_r(&t, &tm);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

}  // namespace sluice
