#include "warehouse/snowflake/jsonv2.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "core/dates.h"

namespace sluice::snowflake::jsonv2 {
namespace {

[[noreturn]] void bad(std::string_view what, std::string_view value) {
  throw std::invalid_argument(fmt::format("\"{}\" is not a valid jsonv2 {}", value, what));
}

std::int64_t parse_int(std::string_view s, std::string_view what) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) bad(what, s);
  return v;
}

// "seconds[.fraction]" (seconds may be negative) -> floor seconds and nanos in [0, 1e9).
Instant parse_seconds(std::string_view s, std::string_view what) {
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (frac.size() > 9 || !std::all_of(frac.begin(), frac.end(), [](char c) { return c >= '0' && c <= '9'; }))
    bad(what, s);
  const bool negative = whole.starts_with('-');
  Instant out;
  out.seconds = parse_int(whole == "-0" ? "0" : whole, what);
  std::int32_t nanos = 0;
  for (size_t i = 0; i < 9; ++i) nanos = nanos * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  if (negative && nanos > 0) {  // -1.25 = -2 s + 0.75 s
    out.seconds -= 1;
    nanos = 1'000'000'000 - nanos;
  }
  out.nanos = nanos;
  return out;
}

std::string fraction(std::int32_t nanos) {
  if (nanos == 0) return {};
  std::string f = fmt::format(".{:09d}", nanos);
  while (f.back() == '0') f.pop_back();
  return f;
}

}  // namespace

Type parse_type(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::pair<const char*, Type> kTypes[] = {
      {"fixed", Type::fixed}, {"real", Type::real}, {"text", Type::text},
      {"boolean", Type::boolean}, {"date", Type::date}, {"time", Type::time},
      {"timestamp_ntz", Type::timestamp_ntz}, {"timestamp_ltz", Type::timestamp_ltz},
      {"timestamp_tz", Type::timestamp_tz}, {"binary", Type::binary}, {"variant", Type::variant},
      {"object", Type::object}, {"array", Type::array}};
  for (const auto& [text, type] : kTypes)
    if (n == text) return type;
  return Type::unknown;
}

std::int64_t to_int64(std::string_view s) { return parse_int(s, "integer NUMBER"); }

double to_double(std::string_view s) {
  if (s == "NaN" || s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf" || s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-inf" || s == "-Infinity") return -std::numeric_limits<double>::infinity();
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) bad("REAL", s);
  return v;
}

bool to_bool(std::string_view s) {
  if (s == "true" || s == "1" || s == "TRUE") return true;
  if (s == "false" || s == "0" || s == "FALSE") return false;
  bad("BOOLEAN", s);
}

std::int64_t to_days(std::string_view s) { return parse_int(s, "DATE"); }

std::string date_iso(std::string_view s) {
  return format_iso(static_cast<DayNumber>(to_days(s)));
}

Instant to_instant(std::string_view s, Type type) {
  switch (type) {
    case Type::time:
    case Type::timestamp_ntz:
    case Type::timestamp_ltz:
      return parse_seconds(s, "time/timestamp");
    case Type::timestamp_tz: {
      const size_t space = s.find(' ');
      if (space == std::string_view::npos) bad("TIMESTAMP_TZ", s);
      Instant out = parse_seconds(s.substr(0, space), "TIMESTAMP_TZ");
      out.offset_minutes = static_cast<int>(parse_int(s.substr(space + 1), "TIMESTAMP_TZ")) - 1440;
      return out;
    }
    default:
      throw std::invalid_argument("not a time or timestamp type");
  }
}

std::string to_iso(std::string_view s, Type type) {
  const Instant in = to_instant(s, type);
  if (type == Type::time) {
    const std::int64_t secs = in.seconds;
    return fmt::format("{:02d}:{:02d}:{:02d}{}", secs / 3600, secs / 60 % 60, secs % 60, fraction(in.nanos));
  }
  std::int64_t local = in.seconds + (type == Type::timestamp_tz ? in.offset_minutes * 60LL : 0);
  std::int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  const std::int64_t secs = local - days * 86400;
  const CivilDate d = civil_from_days(static_cast<DayNumber>(days));
  std::string out = fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}{}", d.year, d.month, d.day,
                                secs / 3600, secs / 60 % 60, secs % 60, fraction(in.nanos));
  if (type == Type::timestamp_tz) {
    const int off = std::abs(in.offset_minutes);
    out += fmt::format(" {}{:02d}:{:02d}", in.offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  }
  return out;
}

std::string from_hex(std::string_view s) {
  if (s.size() % 2) bad("BINARY", s);
  std::string out;
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    unsigned v = 0;
    const auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
    if (ec != std::errc() || ptr != s.data() + i + 2) bad("BINARY", s);
    out += static_cast<char>(v);
  }
  return out;
}

nlohmann::json to_json(std::string_view s) {
  try {
    return nlohmann::json::parse(s);
  } catch (const nlohmann::json::exception&) {
    bad("VARIANT", s.substr(0, 80));
  }
}

}  // namespace sluice::snowflake::jsonv2
