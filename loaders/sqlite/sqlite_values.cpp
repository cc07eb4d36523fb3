#include "loaders/sqlite/sqlite_values.h"

#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/dates.h"
#include "core/text_format.h"
#include "validators/file_qc/utf8.h"

namespace sluice::sqlite {
namespace {

void append_integer(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// The shortest text that reads back as the same double (what SQLite's own 15 digits would not be).
void append_real(std::string& out, double v, std::chars_format format = std::chars_format::general) {
  if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, format);
  out.append(buf, end);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at s[at].
bool digits(std::string_view s, std::size_t at, int n, int& value) {
  if (at + n > s.size()) return false;
  value = 0;
  for (int i = 0; i < n; ++i) {
    if (!is_digit(s[at + i])) return false;
    value = value * 10 + (s[at + i] - '0');
  }
  return true;
}

struct Instant {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string_view fraction;  // the digits after the point, as written
  std::string_view zone;      // "Z", "+02:00", "-0530", "" when none
  bool has_time = false;
};

// [:SS[.fff...]] at s[at], moving `at` past it; false when it is there but malformed.
bool read_seconds(std::string_view s, std::size_t& at, Instant& t) {
  if (at >= s.size() || s[at] != ':') return true;
  if (!digits(s, at + 1, 2, t.second)) return false;
  at += 3;
  if (at < s.size() && s[at] == '.') {
    const std::size_t start = ++at;
    while (at < s.size() && is_digit(s[at])) ++at;
    if (at == start) return false;
    t.fraction = s.substr(start, at - start);
  }
  return true;
}

// ISO 8601 as SQLite's date functions read it: YYYY-MM-DD, then optionally [ T]HH:MM[:SS[.fff]]
// and a zone (Z or ±HH:MM). Anything else (PostgreSQL would read some of it, by DateStyle) is not
// a date here.
bool parse_iso(std::string_view s, Instant& t) {
  if (!digits(s, 0, 4, t.year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, t.month) || s[7] != '-' ||
      !digits(s, 8, 2, t.day) || !is_valid_date(t.year, t.month, t.day))
    return false;
  std::size_t at = 10;
  if (at == s.size()) return true;
  if (s[at] != ' ' && s[at] != 'T') return false;
  ++at;
  if (!digits(s, at, 2, t.hour) || at + 5 > s.size() || s[at + 2] != ':' || !digits(s, at + 3, 2, t.minute)) return false;
  at += 5;
  t.has_time = true;
  if (!read_seconds(s, at, t)) return false;
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return false;
  if (at == s.size()) return true;
  t.zone = s.substr(at);
  if (t.zone == "Z" || t.zone == "z") return true;
  int zh = 0, zm = 0;
  const std::string_view z = t.zone;
  if ((z[0] != '+' && z[0] != '-') || !digits(z, 1, 2, zh)) return false;
  if (z.size() == 3) return zh <= 14;
  if (z.size() == 6 && z[3] == ':' && digits(z, 4, 2, zm)) return zh <= 14 && zm <= 59;
  if (z.size() == 5 && digits(z, 3, 2, zm)) return zh <= 14 && zm <= 59;
  return false;
}

// A time of day alone: HH:MM[:SS[.ffffff]].
bool parse_time(std::string_view s, Instant& t) {
  if (!digits(s, 0, 2, t.hour) || s.size() < 5 || s[2] != ':' || !digits(s, 3, 2, t.minute)) return false;
  std::size_t at = 5;
  if (!read_seconds(s, at, t)) return false;
  return at == s.size() && t.hour <= 23 && t.minute <= 59 && t.second <= 59;
}

bool zero_fraction(std::string_view f) { return f.find_first_not_of('0') == std::string_view::npos; }

// Zero-padded digits, written by hand: these run once a value on the copy's hot path.
void append_digits(std::string& out, int value, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i, value /= 10) buf[i] = static_cast<char>('0' + value % 10);
  out.append(buf, static_cast<std::size_t>(width));
}

void append_date(std::string& out, const Instant& t) {
  append_digits(out, t.year, 4);
  out += '-';
  append_digits(out, t.month, 2);
  out += '-';
  append_digits(out, t.day, 2);
}

void append_clock(std::string& out, const Instant& t) {
  append_digits(out, t.hour, 2);
  out += ':';
  append_digits(out, t.minute, 2);
  out += ':';
  append_digits(out, t.second, 2);
  if (!zero_fraction(t.fraction)) {
    out += '.';
    out += t.fraction;
  }
}

Instant instant_from_unix_ms(std::int64_t ms) {
  const std::int64_t day_ms = 86'400'000;
  std::int64_t days = ms / day_ms, rest = ms % day_ms;
  if (rest < 0) rest += day_ms, --days;
  const CivilDate d = civil_from_days(static_cast<DayNumber>(days));
  Instant t;
  t.year = d.year, t.month = d.month, t.day = d.day;
  t.hour = static_cast<int>(rest / 3'600'000);
  t.minute = static_cast<int>(rest / 60'000 % 60);
  t.second = static_cast<int>(rest / 1000 % 60);
  t.has_time = true;
  return t;
}

// The reason text for a value of the wrong storage class: "text in an integer column".
std::string wrong_class(const Value& v, std::string_view column_kind) {
  const std::string_view what = v.storage == StorageClass::integer ? "an integer"
                                : v.storage == StorageClass::real  ? "a real"
                                : v.storage == StorageClass::text  ? "text"
                                                                   : "a blob";
  return fmt::format("{} in a{} {} column", what, column_kind.find_first_of("aeiou") == 0 ? "n" : "", column_kind);
}

bool integer_bounds(const ColumnMapping& m, std::int64_t v) {
  const std::string& t = m.target_type;
  if (t == "smallint" || t == "int2") return v >= -32768 && v <= 32767;
  if (t == "integer" || t == "int" || t == "int4") return v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max();
  return true;
}

// A decimal number's digits: `integer_digits` before the point (leading zeros dropped),
// `fraction_digits` after it (trailing zeros dropped), from plain text such as "-12.50".
bool decimal_shape(std::string_view s, int& integer_digits, int& fraction_digits) {
  std::size_t at = 0;
  if (at < s.size() && (s[at] == '+' || s[at] == '-')) ++at;
  const std::size_t int_start = at;
  while (at < s.size() && is_digit(s[at])) ++at;
  std::string_view int_part = s.substr(int_start, at - int_start), frac_part;
  if (at < s.size() && s[at] == '.') {
    const std::size_t f = ++at;
    while (at < s.size() && is_digit(s[at])) ++at;
    frac_part = s.substr(f, at - f);
  }
  if (at != s.size() || (int_part.empty() && frac_part.empty())) return false;
  while (!int_part.empty() && int_part.front() == '0') int_part.remove_prefix(1);
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.remove_suffix(1);
  integer_digits = static_cast<int>(int_part.size());
  fraction_digits = static_cast<int>(frac_part.size());
  return true;
}

bool fits_numeric(const ColumnMapping& m, std::string_view text, std::string& reason) {
  int integer_digits = 0, fraction_digits = 0;
  if (!decimal_shape(text, integer_digits, fraction_digits)) {
    reason = "not a decimal number";
    return false;
  }
  if (m.precision == 0) return true;
  if (fraction_digits > m.scale) {
    reason = fmt::format("{} has {} decimals; {} would round it", text, fraction_digits, m.target_type);
    return false;
  }
  if (integer_digits > m.precision - m.scale) {
    reason = fmt::format("{} has {} digits before the point; {} holds {}", text, integer_digits, m.target_type,
                         m.precision - m.scale);
    return false;
  }
  return true;
}

bool append_temporal(std::string& out, const ColumnMapping& m, const Value& v, std::string& reason) {
  Instant t;
  if (v.storage == StorageClass::integer || v.storage == StorageClass::real) {
    if (m.kind == ValueKind::time) {
      reason = wrong_class(v, "time");
      return false;
    }
    std::int64_t ms = 0;
    const double number = v.storage == StorageClass::integer ? static_cast<double>(v.integer) : v.real;
    if (!sqlite_auto_instant(number, ms)) {
      reason = "a number outside the dates SQLite reads (years 0000 to 9999 by its 'auto' rule)";
      return false;
    }
    t = instant_from_unix_ms(ms);
    if (ms % 1000) {
      static thread_local std::string fraction;
      fraction = fmt::format("{:03}", ((ms % 1000) + 1000) % 1000);
      t.fraction = fraction;
    }
    t.zone = "Z";
  } else if (v.storage == StorageClass::text) {
    const bool ok = m.kind == ValueKind::time ? parse_time(v.bytes, t) : parse_iso(v.bytes, t);
    if (!ok) {
      reason = m.kind == ValueKind::time ? "not a time of day (HH:MM[:SS[.ffffff]])"
                                         : "not an ISO 8601 date (YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|±HH:MM])";
      return false;
    }
  } else {
    reason = wrong_class(v, to_string(m.kind));
    return false;
  }
  if (t.fraction.size() > 6 && !zero_fraction(t.fraction.substr(6))) {
    reason = "finer than the microseconds PostgreSQL keeps";
    return false;
  }
  if (t.fraction.size() > 6) t.fraction = t.fraction.substr(0, 6);
  const bool numeric_instant = v.storage != StorageClass::text;
  switch (m.kind) {
    case ValueKind::date:
      if ((t.has_time && (t.hour || t.minute || t.second || !zero_fraction(t.fraction))) || (!numeric_instant && !t.zone.empty())) {
        reason = "a time of day in a date column";
        return false;
      }
      append_date(out, t);
      return true;
    case ValueKind::timestamp:
      if (!numeric_instant && !t.zone.empty()) {
        reason = "a time zone in a column without one (cast it to timestamptz)";
        return false;
      }
      append_date(out, t);
      out += ' ';
      append_clock(out, t);
      return true;
    case ValueKind::timestamptz:
      append_date(out, t);
      out += ' ';
      append_clock(out, t);
      // Without a zone the value is UTC, said explicitly: the server's TimeZone must not decide.
      if (t.zone.empty() || t.zone == "Z" || t.zone == "z") out += "+00";
      else out += t.zone;
      return true;
    case ValueKind::time:
      append_clock(out, t);
      return true;
    default:
      reason = "not a date or time column";
      return false;
  }
}

}  // namespace

std::string_view to_string(StorageClass c) {
  switch (c) {
    case StorageClass::null: return "null";
    case StorageClass::integer: return "integer";
    case StorageClass::real: return "real";
    case StorageClass::text: return "text";
    case StorageClass::blob: return "blob";
  }
  return "null";
}

bool sqlite_auto_instant(double number, std::int64_t& unix_milliseconds) {
  // SQLite's computeJD: a Julian day number to the millisecond, 210866760000000 being 1970-01-01
  // 00:00 as a Julian day in milliseconds. Years 0000..9999 are Julian days 1721059.5..5373484.5.
  constexpr std::int64_t kEpochJdMs = 210866760000000;
  if (!std::isfinite(number)) return false;
  double jd_ms = 0;
  if (number >= 0.0 && number <= 5373484.499999) jd_ms = number * 86400000.0 + 0.5;
  else jd_ms = number * 1000.0 + 0.5 + static_cast<double>(kEpochJdMs);
  if (jd_ms < 148699540800000.0 || jd_ms > 464269060799999.0) return false;  // 0000-01-01 .. 9999-12-31 23:59:59.999
  unix_milliseconds = static_cast<std::int64_t>(jd_ms) - kEpochJdMs;
  return true;
}

bool append_copy_value(std::string& out, const ColumnMapping& m, const Value& v, std::string& reason) {
  if (v.storage == StorageClass::null) {
    out += "\\N";
    return true;
  }
  const std::size_t rollback = out.size();
  const auto refuse = [&](std::string why) {
    out.resize(rollback);
    reason = std::move(why);
    return false;
  };
  switch (m.kind) {
    case ValueKind::integer:
      if (v.storage == StorageClass::integer) {
        if (!integer_bounds(m, v.integer)) return refuse(fmt::format("{} does not fit {}", v.integer, m.target_type));
        append_integer(out, v.integer);
        return true;
      }
      if (v.storage == StorageClass::real && std::isfinite(v.real) && v.real == std::trunc(v.real) &&
          std::fabs(v.real) < 9.2e18) {
        const auto i = static_cast<std::int64_t>(v.real);
        if (!integer_bounds(m, i)) return refuse(fmt::format("{} does not fit {}", i, m.target_type));
        append_integer(out, i);
        return true;
      }
      return refuse(wrong_class(v, "integer"));
    case ValueKind::real:
      if (v.storage == StorageClass::integer) {
        // Exact when the double reads back as the same integer (2^63 itself is out of int64).
        const double d = static_cast<double>(v.integer);
        if (d >= 9223372036854775808.0 || static_cast<std::int64_t>(d) != v.integer)
          return refuse(fmt::format("{} has more digits than a double keeps", v.integer));
        append_integer(out, v.integer);
        return true;
      }
      if (v.storage == StorageClass::real) {
        append_real(out, v.real);
        return true;
      }
      return refuse(wrong_class(v, "real"));
    case ValueKind::numeric: {
      std::string text;
      if (v.storage == StorageClass::integer) append_integer(text, v.integer);
      else if (v.storage == StorageClass::real && std::isfinite(v.real)) append_real(text, v.real, std::chars_format::fixed);
      else if (v.storage == StorageClass::text) text = std::string(v.bytes);
      else return refuse(wrong_class(v, "numeric"));
      if (!fits_numeric(m, text, reason)) return refuse(v.storage == StorageClass::text && reason == "not a decimal number"
                                                            ? "text that is not a decimal number in a numeric column"
                                                            : reason);
      out += text;
      return true;
    }
    case ValueKind::text:
    case ValueKind::json:
      if (v.storage == StorageClass::integer && m.kind == ValueKind::text) {
        append_integer(out, v.integer);
        return true;
      }
      if (v.storage == StorageClass::real && m.kind == ValueKind::text) {
        append_real(out, v.real);
        return true;
      }
      if (v.storage != StorageClass::text) return refuse(wrong_class(v, m.kind == ValueKind::json ? "json" : "text"));
      if (const std::size_t bad = find_invalid_utf8(v.bytes.data(), v.bytes.size()); bad != std::string_view::npos)
        return refuse(v.bytes[bad] == '\0' ? fmt::format("a NUL character (at byte {}), which PostgreSQL text cannot hold", bad)
                                           : fmt::format("not valid UTF-8 (at byte {})", bad));
      if (m.kind == ValueKind::json && !nlohmann::json::accept(v.bytes)) return refuse("not valid JSON");
      append_copy_escaped(out, v.bytes);
      return true;
    case ValueKind::bytes:
      if (v.storage != StorageClass::blob && v.storage != StorageClass::text) return refuse(wrong_class(v, "bytea"));
      out += "\\\\x";
      for (unsigned char c : v.bytes) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      return true;
    case ValueKind::boolean: {
      bool truth = false;
      if (v.storage == StorageClass::integer && (v.integer == 0 || v.integer == 1)) truth = v.integer == 1;
      else if (v.storage == StorageClass::real && (v.real == 0.0 || v.real == 1.0)) truth = v.real == 1.0;
      else if (v.storage == StorageClass::text) {
        std::string lower;
        for (char c : v.bytes) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "true" || lower == "t" || lower == "yes" || lower == "y" || lower == "on" || lower == "1") truth = true;
        else if (lower == "false" || lower == "f" || lower == "no" || lower == "n" || lower == "off" || lower == "0") truth = false;
        else return refuse("text that is not true or false in a boolean column");
      } else if (v.storage == StorageClass::integer || v.storage == StorageClass::real) {
        return refuse("a number other than 0 and 1 in a boolean column");
      } else {
        return refuse(wrong_class(v, "boolean"));
      }
      out += truth ? 't' : 'f';
      return true;
    }
    case ValueKind::date:
    case ValueKind::timestamp:
    case ValueKind::timestamptz:
    case ValueKind::time:
      if (!append_temporal(out, m, v, reason)) return refuse(reason);
      return true;
    case ValueKind::passthrough:
      return refuse("a SQLite value for a column only another PostgreSQL table can fill");
  }
  return refuse("unknown column kind");
}

std::string display_value(const Value& v) {
  switch (v.storage) {
    case StorageClass::null: return "NULL";
    case StorageClass::integer: return std::to_string(v.integer);
    case StorageClass::real: {
      std::string s;
      if (std::isnan(v.real)) return "NaN";
      append_real(s, v.real);
      return s;
    }
    case StorageClass::text: {
      std::string shown;
      std::size_t chars = 0, at = 0;
      for (; at < v.bytes.size() && chars < 60; ++chars) {
        const std::size_t n = utf8_char_length(v.bytes.data() + at, v.bytes.size() - at);
        const unsigned char c = static_cast<unsigned char>(v.bytes[at]);
        if (n == 0 || c < 0x20 || c == 0x7f) {
          shown += c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : fmt::format("\\x{:02x}", c);
          ++at;
        } else {
          if (c == '"' || c == '\\') shown += '\\';
          shown.append(v.bytes.data() + at, n);
          at += n;
        }
      }
      return "\"" + shown + (at < v.bytes.size() ? "\"..." : "\"");
    }
    case StorageClass::blob: {
      std::string hex;
      for (std::size_t i = 0; i < v.bytes.size() && i < 16; ++i) hex += fmt::format("{:02X}", static_cast<unsigned char>(v.bytes[i]));
      return fmt::format("x'{}{}' ({} bytes)", hex, v.bytes.size() > 16 ? "..." : "", v.bytes.size());
    }
  }
  return "";
}

}  // namespace sluice::sqlite
