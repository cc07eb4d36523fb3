#include "validators/file_qc/value_checks.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

namespace sluice {
namespace {

// PostgreSQL trims with isspace(); in the C locale (and for ASCII in any UTF-8 locale) that is
// space, \t, \n, \v, \f, \r. A wider notion (NBSP) would let values through that the server rejects.
inline bool is_space(char c) {
  return c == ' ' || static_cast<unsigned>(static_cast<unsigned char>(c) - '\t') <= 4u;
}

inline unsigned digit_value(char c) { return static_cast<unsigned>(static_cast<unsigned char>(c)) - '0'; }
inline bool is_digit(char c) { return digit_value(c) <= 9u; }

// Lower-cases ASCII letters; other bytes cannot turn into a letter this way, so comparing the result
// against a lower-case letter is exact.
inline char fold(char c) { return static_cast<char>(c | 0x20); }

inline void trim(const char*& p, const char*& end) {
  if (p < end && !is_space(*p) && !is_space(end[-1])) return;  // the usual case: no blanks
  while (p < end && is_space(*p)) ++p;
  while (end > p && is_space(end[-1])) --end;
}

inline std::uint64_t load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
inline std::uint32_t load4(const char* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}
// Every byte is '0'..'9': the high nibble is 3 and adding 6 does not carry out of the low nibble.
// A carry between bytes needs a byte >= 0xFA, which already fails the high-nibble test.
inline bool digits8(std::uint64_t w) {
  return ((w & 0xF0F0F0F0F0F0F0F0ull) | (((w + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) ==
         0x3333333333333333ull;
}
inline bool digits4(std::uint32_t w) {
  return ((w & 0xF0F0F0F0u) | (((w + 0x06060606u) & 0xF0F0F0F0u) >> 4)) == 0x33333333u;
}

// [p, end) is all ASCII digits. Overlapping word loads instead of a byte loop: nothing is read
// outside the range, and there is no branch per byte.
inline bool all_digits(const char* p, const char* end) {
  const auto n = end - p;
  if (n >= 8) {
    for (; end - p > 8; p += 8)
      if (!digits8(load8(p))) return false;
    return digits8(load8(end - 8));
  }
  if (n >= 4) return digits4(load4(p)) && digits4(load4(end - 4));
  for (; p < end; ++p)
    if (!is_digit(*p)) return false;
  return true;
}

// A byte of the result is nonzero exactly where w has a non-digit; no carries cross bytes.
inline std::uint64_t non_digits8(std::uint64_t w) {
  return ((w & 0xF0F0F0F0F0F0F0F0ull) ^ 0x3030303030303030ull) |
         (((w & 0x0F0F0F0F0F0F0F0Full) + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull);
}

// The first position in [p, end) that is not a digit, eight bytes at a time (little-endian).
inline const char* skip_digits(const char* p, const char* end) {
  for (; end - p >= 8; p += 8)
    if (const std::uint64_t m = non_digits8(load8(p))) return p + __builtin_ctzll(m) / 8;
  while (p < end && is_digit(*p)) ++p;
  return p;
}

// [p, end) equals `word` (lower case), ignoring ASCII case.
inline bool iequals(const char* p, const char* end, std::string_view word) {
  if (static_cast<std::size_t>(end - p) != word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (fold(p[i]) != word[i]) return false;
  return true;
}

// [p, end) is a non-empty prefix of `word` (lower case), ignoring ASCII case.
inline bool iprefix(const char* p, const char* end, std::string_view word) {
  const auto n = static_cast<std::size_t>(end - p);
  if (n == 0 || n > word.size()) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (fold(p[i]) != word[i]) return false;
  return true;
}

// One or two digits. PostgreSQL takes more ("009:05"), but nobody writes that.
inline bool read_1or2(const char*& p, const char* end, int& out) {
  if (p == end || !is_digit(*p)) return false;
  int v = static_cast<int>(digit_value(*p++));
  if (p < end && is_digit(*p)) v = v * 10 + static_cast<int>(digit_value(*p++));
  out = v;
  return true;
}

inline bool read_2(const char*& p, const char* end, int& out) {
  if (end - p < 2 || !is_digit(p[0]) || !is_digit(p[1])) return false;
  out = static_cast<int>(digit_value(p[0]) * 10 + digit_value(p[1]));
  p += 2;
  return true;
}

// The time zone after a time: Z, UTC, GMT, or a numeric offset +h, +hh, +hhmm, +hh:mm, +hh:mm:ss.
// PostgreSQL 15 rejects offsets of 16 hours or more, even on plain timestamp where it then ignores
// the zone. Other zone names are rejected because they depend on the server's timezone settings.
bool parse_zone(const char* p, const char* end) {
  if (iequals(p, end, "z") || iequals(p, end, "utc") || iequals(p, end, "gmt")) return true;
  if (*p != '+' && *p != '-') return false;
  ++p;
  const char* const start = p;
  int h, m = 0, s = 0;
  if (!read_1or2(p, end, h)) return false;
  if (p < end && *p == ':') {
    ++p;
    if (!read_2(p, end, m)) return false;
    if (p < end && *p == ':') {
      ++p;
      if (!read_2(p, end, s)) return false;
    }
  } else if (p < end) {
    if (p - start != 2 || !read_2(p, end, m)) return false;  // +hhmm
  }
  return p == end && h <= 15 && m <= 59 && s <= 59;
}

// H:M[:S[.fff]] [AM|PM] [zone], the part after the date. Fraction digits are unlimited because
// PostgreSQL rounds them to microseconds.
bool parse_time(const char* p, const char* end) {
  int h, m, s = 0;
  bool fraction = false;  // a nonzero fraction digit
  if (!read_1or2(p, end, h) || p == end || *p != ':' || !read_1or2(++p, end, m)) return false;
  if (p < end && *p == ':') {
    if (!read_1or2(++p, end, s)) return false;
    if (p < end && *p == '.') {
      ++p;
      if (p == end || !is_digit(*p)) return false;
      for (; p < end && is_digit(*p); ++p) fraction |= *p != '0';
    }
  }
  bool meridiem = false;
  const char* q = p;
  while (q < end && is_space(*q)) ++q;
  if (end - q >= 2 && (fold(q[0]) == 'a' || fold(q[0]) == 'p') && fold(q[1]) == 'm' &&
      (q + 2 == end || is_space(q[2]))) {
    meridiem = true;
    p = q + 2;
  }
  while (p < end && is_space(*p)) ++p;
  if (p < end && !parse_zone(p, end)) return false;
  // 24:00:00 (exactly) is the end of the day and 23:59:60 a leap second; PostgreSQL takes both,
  // and with AM/PM any hour 0..12.
  if (meridiem ? h > 12 : h > 24) return false;
  if (h == 24 && (m != 0 || s != 0 || fraction)) return false;
  return m <= 59 && s <= 60 && !(s == 60 && fraction);
}

// A date in one of DateParser's three forms, optionally followed (after blanks or a T) by a time.
// Used for date columns too: PostgreSQL's date input accepts a timestamp and drops the time, but
// still rejects a malformed or impossible time ("2024-01-31 25:00").
bool parse_datetime(const DateParser& dates, const char* p, const char* end) {
  trim(p, end);
  const char* d;
  if (end - p >= 10 && p[4] == '-') {
    // YYYY-MM-DD, by far the most common form, checked here with DateParser's rules (exactly
    // two-digit month and day, is_valid_date) without computing the day number it would return.
    d = p + 10;
    // "YYYY-MM-" as one word: the dashes in bytes 4 and 7, then digits everywhere once the dashes
    // are turned into '0' (0x2D ^ 0x1D).
    const std::uint64_t w = load8(p);
    if ((w & 0xFF0000FF00000000ull) != 0x2D00002D00000000ull || !digits8(w ^ 0x1D00001D00000000ull) ||
        !is_digit(p[8]) || !is_digit(p[9]))
      return false;
    const int y = static_cast<int>(digit_value(p[0]) * 1000 + digit_value(p[1]) * 100 + digit_value(p[2]) * 10 +
                                   digit_value(p[3]));
    const int m = static_cast<int>(digit_value(p[5]) * 10 + digit_value(p[6]));
    const int day = static_cast<int>(digit_value(p[8]) * 10 + digit_value(p[9]));
    // Days 1..28 of months 1..12 of years 1.. exist in every calendar; the rest asks is_valid_date.
    if (!(y >= 1 && m >= 1 && m <= 12 && day >= 1 && day <= 28) && !is_valid_date(y, m, day)) return false;
  } else {
    for (d = p; d < end && !is_space(*d) && fold(*d) != 't';) ++d;
    DayNumber day;
    if (!dates.parse(std::string_view(p, static_cast<std::size_t>(d - p)), day)) return false;
  }
  if (d == end) return true;
  if (fold(*d) == 't') ++d;
  else if (is_space(*d))
    while (d < end && is_space(*d)) ++d;
  else
    return false;  // "2024-01-3112:00"
  return parse_time(d, end);
}

// PostgreSQL's parse_bool_with_len: unique prefixes of true/false/yes/no, on/off with at least two
// letters, 1 and 0.
bool parse_boolean(const char* p, const char* end) {
  trim(p, end);
  if (p == end) return false;
  switch (fold(*p)) {
    case 't': return iprefix(p, end, "true");
    case 'f': return iprefix(p, end, "false");
    case 'y': return iprefix(p, end, "yes");
    case 'n': return iprefix(p, end, "no");
    case 'o': return end - p >= 2 && (iprefix(p, end, "on") || iprefix(p, end, "off"));
    case '1':
    case '0': return end - p == 1;
    default: return false;
  }
}

// PostgreSQL 15 numeric_in limits: an exponent at or beyond INT_MAX/2 fails before anything else;
// an unconstrained value is stored with at most 32768 base-10000 digits before the point
// (first significant digit at 10^131071 at most) and a display scale of at most 16383.
constexpr std::int64_t kMaxExponent = 1073741823;
constexpr std::int64_t kMaxWeightDigit = 131071;
constexpr std::int64_t kMaxDisplayScale = 16383;

struct Mantissa {
  const char* int_digits = nullptr;
  const char* frac_digits = nullptr;
  std::int64_t n_int = 0, n_frac = 0;
  std::int64_t exponent = 0;
};

// digits[.digits][e[sign]digits] with at least one mantissa digit; sets `m`; false on bad syntax.
// The exponent saturates far beyond any limit so that 1e99999999999999999999 cannot wrap around.
bool parse_decimal(const char* p, const char* end, Mantissa& m) {
  m.int_digits = p;
  p = skip_digits(p, end);
  m.n_int = p - m.int_digits;
  m.frac_digits = p;
  if (p < end && *p == '.') {
    m.frac_digits = ++p;
    p = skip_digits(p, end);
    m.n_frac = p - m.frac_digits;
  }
  if (m.n_int + m.n_frac == 0) return false;
  if (p < end && fold(*p) == 'e') {
    ++p;
    bool negative = false;
    if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
    if (p == end || !is_digit(*p)) return false;  // PostgreSQL allows "1e 5" in numeric only
    std::int64_t e = 0;
    for (; p < end && is_digit(*p); ++p)
      if (e < (std::int64_t(1) << 40)) e = e * 10 + digit_value(*p);
    m.exponent = negative ? -e : e;
  }
  return p == end;
}

}  // namespace

std::string_view value_error_id(ValueError e) {
  switch (e) {
    case ValueError::none: return "none";
    case ValueError::not_integer: return "not_integer";
    case ValueError::out_of_range: return "out_of_range";
    case ValueError::not_numeric: return "not_numeric";
    case ValueError::too_many_digits: return "too_many_digits";
    case ValueError::not_finite: return "not_finite";
    case ValueError::not_boolean: return "not_boolean";
    case ValueError::not_date: return "not_date";
    case ValueError::not_timestamp: return "not_timestamp";
    case ValueError::too_long: return "too_long";
  }
  return "unknown";
}

ValueChecker::ValueChecker(const ColumnType& type) : type_(type) {
  switch (type.kind) {
    case ColumnKind::smallint: int_limit_ = "32767"; break;
    case ColumnKind::integer: int_limit_ = "2147483647"; break;
    case ColumnKind::bigint: int_limit_ = "9223372036854775807"; break;
    case ColumnKind::varchar: max_chars_ = type.length; break;
    // A bare "char" is char(1) in PostgreSQL, and that is what the dialect creates.
    case ColumnKind::character: max_chars_ = type.length > 0 ? type.length : 1; break;
    default: break;
  }
}

ValueError ValueChecker::check(const char* data, std::size_t size) const {
  const char* const end = data + size;
  switch (type_.kind) {
    case ColumnKind::text: return ValueError::none;
    case ColumnKind::varchar:
    case ColumnKind::character: return check_length(data, size);
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint: return check_integer(data, end);
    case ColumnKind::numeric: return check_numeric(data, end);
    case ColumnKind::real:
    case ColumnKind::double_precision: return check_float(data, end);
    case ColumnKind::boolean: return parse_boolean(data, end) ? ValueError::none : ValueError::not_boolean;
    case ColumnKind::date:
      return parse_datetime(dates_, data, end) ? ValueError::none : ValueError::not_date;
    case ColumnKind::timestamp:
    case ColumnKind::timestamptz:
      return parse_datetime(dates_, data, end) ? ValueError::none : ValueError::not_timestamp;
  }
  return ValueError::none;
}

// pg_strtoint16/32/64: blanks, sign, one or more decimal digits, blanks. No underscores, no hex,
// no fraction (those came in PostgreSQL 16 or never). The range follows from the number of
// significant digits and, at the limit's length, a comparison with the limit's text; that avoids
// the multiply chain of accumulating the value, which is most of the cost of a naive parse.
ValueError ValueChecker::check_integer(const char* p, const char* end) const {
  if (p < end) {  // fast path: [-]digits, fewer of them than the limit has
    const char* q = p + (*p == '-');
    if (q < end && static_cast<std::size_t>(end - q) < int_limit_.size() && all_digits(q, end))
      return ValueError::none;
  }
  trim(p, end);
  bool negative = false;
  if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
  if (p == end || !all_digits(p, end)) return ValueError::not_integer;
  while (end - p > 1 && *p == '0') ++p;
  const auto n = static_cast<std::size_t>(end - p);
  if (n != int_limit_.size()) return n < int_limit_.size() ? ValueError::none : ValueError::out_of_range;
  // The negative limit is one more than the positive one, and never ends in 9, so a last-digit
  // bump of the limit text is exact.
  int cmp = std::memcmp(p, int_limit_.data(), n - 1);
  if (cmp == 0) cmp = static_cast<int>(p[n - 1]) - (int_limit_[n - 1] + (negative ? 1 : 0));
  return cmp > 0 ? ValueError::out_of_range : ValueError::none;
}

ValueError ValueChecker::check_numeric(const char* p, const char* end) const {
  // Fast path for the common shape, [-]digits[.digits] well inside numeric(p,s): no rounding can
  // reach the limit when there are fewer integer digits than p-s (leading zeros included, which
  // only errs towards the general path). Everything else (blanks, '+', exponents, NaN, values
  // near the limit, unconstrained numeric) takes the general path below.
  if (type_.precision != 0 && p < end) {
    const char* q = p + (*p == '-');
    const char* point = skip_digits(q, end);
    if (point != q && point - q < type_.precision - type_.scale &&  // leading zeros count: safe
        (point == end || (*point == '.' && skip_digits(point + 1, end) == end)))
      return ValueError::none;
  }
  trim(p, end);
  const char* q = p;
  const bool signed_ = q < end && (*q == '+' || *q == '-');
  if (signed_) ++q;
  if (q < end && !is_digit(*q) && *q != '.') {
    // NaN passes apply_typmod in PostgreSQL 15 even for numeric(p,s); Infinity does not.
    if (!signed_ && iequals(q, end, "nan")) return ValueError::none;
    if (iequals(q, end, "infinity") || iequals(q, end, "inf"))
      return type_.precision ? ValueError::not_finite : ValueError::none;
    return ValueError::not_numeric;
  }
  Mantissa m;
  if (!parse_decimal(q, end, m)) return ValueError::not_numeric;
  if (m.exponent >= kMaxExponent || m.exponent <= -kMaxExponent) return ValueError::out_of_range;

  const std::int64_t n = m.n_int + m.n_frac;
  auto digit = [&](std::int64_t i) -> unsigned {
    return digit_value(i < m.n_int ? m.int_digits[i] : m.frac_digits[i - m.n_int]);
  };
  std::int64_t first = 0;  // index of the first significant digit
  while (first < n && digit(first) == 0) ++first;

  if (type_.precision == 0) {
    // The display scale counts trailing zeros, and applies to zero too ("0e-20000" fails).
    if (m.n_frac - m.exponent > kMaxDisplayScale) return ValueError::out_of_range;
    if (first < n && m.n_int - 1 - first + m.exponent > kMaxWeightDigit) return ValueError::out_of_range;
    return ValueError::none;
  }
  if (first == n) return ValueError::none;  // zero fits any numeric(p,s)

  // The power of ten of the first significant digit.
  const std::int64_t top = m.n_int - 1 - first + m.exponent;
  const std::int64_t max_int_digits = type_.precision - type_.scale;
  if (top + 1 < max_int_digits) return ValueError::none;
  if (top + 1 > max_int_digits) return ValueError::too_many_digits;
  // Exactly p-s integer digits: it overflows only if rounding to s decimals (half away from zero,
  // as PostgreSQL rounds) carries into a new digit, as 99.995 does for numeric(4,2).
  auto digit_at = [&](std::int64_t pos) -> unsigned {
    const std::int64_t i = m.n_int - 1 + m.exponent - pos;
    return i >= 0 && i < n ? digit(i) : 0;
  };
  for (std::int64_t pos = top; pos >= -type_.scale; --pos)
    if (digit_at(pos) != 9) return ValueError::none;
  return digit_at(-std::int64_t(type_.scale) - 1) >= 5 ? ValueError::too_many_digits : ValueError::none;
}

// float4in/float8in use strtof/strtod: overflow and underflow to zero are errors, subnormals are
// not. from_chars (libstdc++ 12: fast_float, correctly rounded) gives the same verdicts; the
// syntax is checked here first because strtod also takes hex floats and "nan(...)".
ValueError ValueChecker::check_float(const char* p, const char* end) const {
  trim(p, end);
  const char* q = p;
  const bool signed_ = q < end && (*q == '+' || *q == '-');
  if (signed_) ++q;
  if (q < end && !is_digit(*q) && *q != '.') {
    return iequals(q, end, "nan") || iequals(q, end, "infinity") || iequals(q, end, "inf")
               ? ValueError::none
               : ValueError::not_numeric;
  }
  Mantissa m;
  if (!parse_decimal(q, end, m)) return ValueError::not_numeric;
  if (p < end && *p == '+') ++p;  // from_chars takes '-' only
  std::from_chars_result r;
  if (type_.kind == ColumnKind::real) {
    float v;
    r = std::from_chars(p, end, v);
  } else {
    double v;
    r = std::from_chars(p, end, v);
  }
  if (r.ec == std::errc::result_out_of_range) return ValueError::out_of_range;
  return r.ec == std::errc() && r.ptr == end ? ValueError::none : ValueError::not_numeric;
}

// varchar_input/bpchar_input: more than n characters is an error unless everything past the n-th
// character is ' ' (only the space; a tab is data). Characters are code points: the server is UTF8.
ValueError ValueChecker::check_length(const char* p, std::size_t size) const {
  if (max_chars_ == 0 || size <= static_cast<std::size_t>(max_chars_)) return ValueError::none;
  int chars = 0;
  std::size_t i = 0;
  for (; i < size; ++i) {
    if ((static_cast<unsigned char>(p[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars_) break;
    ++chars;
  }
  for (; i < size; ++i)
    if (p[i] != ' ') return ValueError::too_long;
  return ValueError::none;
}

std::string ValueChecker::describe(ValueError e) const {
  const std::string type = to_string(type_);
  switch (e) {
    case ValueError::none: return "ok";
    case ValueError::not_integer: return "not an integer";
    case ValueError::out_of_range:
      switch (type_.kind) {
        case ColumnKind::smallint: return "out of range for smallint (-32768..32767)";
        case ColumnKind::integer: return "out of range for integer (-2147483648..2147483647)";
        case ColumnKind::bigint:
          return "out of range for bigint (-9223372036854775808..9223372036854775807)";
        case ColumnKind::real: return "out of range for real (magnitude 1.4e-45..3.4e38, or 0)";
        case ColumnKind::double_precision:
          return "out of range for double (magnitude 4.9e-324..1.8e308, or 0)";
        default:
          return type_.precision
                     ? fmt::format("exponent out of range for {}", type)
                     : "out of range for numeric (more than 131072 digits before or 16383 after "
                       "the decimal point)";
      }
    case ValueError::not_numeric: return "not a number";
    case ValueError::too_many_digits:
      if (type_.precision == type_.scale)
        return fmt::format("not below 1 in magnitude (after rounding to {} decimals) for {}", type_.scale,
                           type);
      return fmt::format("more than {} digit{} before the decimal point for {}", type_.precision - type_.scale,
                         type_.precision - type_.scale == 1 ? "" : "s", type);
    case ValueError::not_finite: return fmt::format("Infinity does not fit {}", type);
    case ValueError::not_boolean: return "not a boolean (true/false, t/f, yes/no, y/n, on/off, 1/0)";
    case ValueError::not_date: return "not a valid date (YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)";
    case ValueError::not_timestamp:
      return "not a valid timestamp (YYYY-MM-DD HH:MM[:SS[.ffffff]], optional AM/PM and time zone)";
    case ValueError::too_long:
      return fmt::format("longer than {} character{} for {}", max_chars_, max_chars_ == 1 ? "" : "s", type);
  }
  return "invalid value";
}

}  // namespace sluice
