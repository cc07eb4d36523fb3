#include "validators/profile/column_profile.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

// Header-only: validators does not link libxxhash, and inlining lets the compiler specialise the
// hash for the short values that dominate.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sluice {

// ---- HyperLogLog ----

std::uint64_t HyperLogLog::hash(const char* data, std::size_t size) { return XXH3_64bits(data, size); }

void HyperLogLog::add_register(std::uint64_t hash) {
  const std::size_t index = static_cast<std::size_t>(hash >> (64 - kPrecision));
  const std::uint64_t rest = hash << kPrecision;  // the low kPrecision bits are now zero
  const int rank = rest == 0 ? 64 - kPrecision + 1 : std::countl_zero(rest) + 1;
  if (rank > registers_[index]) registers_[index] = static_cast<std::uint8_t>(rank);
}

void HyperLogLog::add_exact(std::uint64_t hash) {
  if (hash == 0) hash = 1;  // 0 marks an empty slot; one value in 2^64 is shifted, harmlessly
  std::size_t i = static_cast<std::size_t>(hash) & (kExactSlots - 1);
  while (exact_[i] != 0) {
    if (exact_[i] == hash) return;
    i = (i + 1) & (kExactSlots - 1);
  }
  exact_[i] = hash;
  if (++exact_count_ > kExactMax) to_dense();
}

void HyperLogLog::to_dense() {
  dense_ = true;
  for (const std::uint64_t h : exact_)
    if (h) add_register(h);
}

void HyperLogLog::merge(const HyperLogLog& other) {
  if (!other.dense_) {
    for (const std::uint64_t h : other.exact_)
      if (h) add_hash(h);
    return;
  }
  if (!dense_) to_dense();
  for (std::size_t i = 0; i < kRegisters; ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
}

void HyperLogLog::clear() {
  // Only what was used: a column of few values never touches its 8 KiB of registers.
  if (dense_) registers_.fill(0);
  if (exact_count_) exact_.fill(0);
  exact_count_ = 0;
  dense_ = false;
}

namespace {

double hll_sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0, z = x, previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

double hll_tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0, z = 1.0 - x, previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != previous);
  return z / 3.0;
}

}  // namespace

double HyperLogLog::estimate() const {
  if (!dense_) return exact_count_;
  constexpr int q = 64 - kPrecision;
  std::array<std::uint32_t, q + 2> histogram{};
  for (const std::uint8_t r : registers_) ++histogram[r];
  const double m = static_cast<double>(kRegisters);
  double z = m * hll_tau(1.0 - histogram[q + 1] / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram[static_cast<std::size_t>(k)]);
  z += m * hll_sigma(histogram[0] / m);
  constexpr double kAlphaInfinity = 0.721347520444481703680;  // 1 / (2 ln 2)
  return kAlphaInfinity * m * m / z;
}

// ---- CappedText ----

void CappedText::assign(const char* data, std::size_t n) {
  const std::size_t keep = std::min(n, kBytes);
  std::memcpy(bytes.data(), data, keep);
  size = static_cast<std::uint8_t>(keep);
  truncated = n > kBytes;
  set = true;
}

std::string CappedText::str() const {
  std::size_t end = size;
  // A cut value may end inside a UTF-8 sequence: drop the partial character.
  if (truncated && end > 0) {
    std::size_t lead = end - 1;
    while (lead > 0 && (static_cast<unsigned char>(bytes[lead]) & 0xC0) == 0x80) --lead;
    const auto b = static_cast<unsigned char>(bytes[lead]);
    const std::size_t length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    if (lead + length > end) end = lead;
  }
  std::string out;
  out.reserve(end + 3);
  for (std::size_t i = 0; i < end; ++i) {
    const char c = bytes[i];
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  if (truncated) out += "...";
  return out;
}

// ---- SeenValue, DateOrderEvidence ----

void SeenValue::assign(const char* data, std::size_t n, std::uint64_t at_line) {
  const std::size_t keep = std::min(n, kBytes);
  std::memcpy(bytes.data(), data, keep);
  size = static_cast<std::uint8_t>(keep);
  truncated = n > kBytes;
  line = at_line;
}

std::string SeenValue::str() const { return std::string(view()) + (truncated ? "..." : ""); }

void DateOrderEvidence::merge(const DateOrderEvidence& o, std::uint64_t line_offset) {
  if (o.values == 0) return;
  auto shifted = [line_offset](SeenValue v) {
    v.line += line_offset;
    return v;
  };
  // Ours come first in the file: the first values stay ours.
  if (!first_over_12.set() && o.first_over_12.set()) first_over_12 = shifted(o.first_over_12);
  if (!second_over_12.set() && o.second_over_12.set()) second_over_12 = shifted(o.second_over_12);
  for (const SeenValue& v : o.ambiguous) {
    if (!v.set()) break;
    const auto seen = std::find_if(ambiguous.begin(), ambiguous.end(),
                                   [&](const SeenValue& a) { return !a.set() || a.view() == v.view(); });
    if (seen != ambiguous.end() && !seen->set()) *seen = shifted(v);
  }
  if (values == 0) separator = o.separator;
  else if (o.separator != separator) month_first_valid = day_first_valid = false;  // two forms: no order fits both
  values += o.values;
  month_first_valid = month_first_valid && o.month_first_valid;
  day_first_valid = day_first_valid && o.day_first_valid;
}

// ---- value shapes ----

namespace {

inline bool is_digit(char c) { return static_cast<unsigned>(static_cast<unsigned char>(c) - '0') < 10; }

inline bool two_digits(const char* p, int& out) {
  if (!is_digit(p[0]) || !is_digit(p[1])) return false;
  out = (p[0] - '0') * 10 + (p[1] - '0');
  return true;
}

inline bool fixed_digits(const char* p, int len, int& out) {
  out = 0;
  for (int i = 0; i < len; ++i) {
    if (!is_digit(p[i])) return false;
    out = out * 10 + (p[i] - '0');
  }
  return true;
}

// N{1,2} sep N{1,2} sep YYYY with sep one of / . - (the same twice).
inline bool ordered_date_parts(const char* p, std::size_t n, int& first, int& second, int& year, char& sep) {
  if (n < 8 || n > 10) return false;
  std::size_t i = 0;
  auto part = [&](int& out) {
    const std::size_t start = i;
    out = 0;
    while (i < n && i - start < 2 && is_digit(p[i])) out = out * 10 + (p[i++] - '0');
    return i > start;
  };
  if (!part(first) || i >= n) return false;
  sep = p[i++];
  if (sep != '/' && sep != '.' && sep != '-') return false;
  if (!part(second) || i >= n || p[i] != sep) return false;
  ++i;
  if (n - i != 4) return false;
  year = 0;
  for (; i < n; ++i) {
    if (!is_digit(p[i])) return false;
    year = year * 10 + (p[i] - '0');
  }
  return true;
}

// Tally keys (ColumnStats::DayKey): a day number (years 1..9999 lie within +-2^22), or, for
// N/N/YYYY, kOrderedKey + year * 10000 + first * 100 + second.
constexpr std::int32_t kOrderedKey = std::int32_t{1} << 28;

inline std::uint32_t utf8_chars(const char* p, std::size_t n) {
  std::uint32_t chars = 0;
  for (std::size_t i = 0; i < n; ++i) chars += (static_cast<unsigned char>(p[i]) & 0xC0) != 0x80;
  return chars;
}

// Compares a value, cut to CappedText::kBytes, with a kept one.
inline int compare_capped(const char* p, std::size_t n, const CappedText& t) {
  // Most values differ from the kept min or max in their first byte; skip the call then.
  if (n && t.size && p[0] != t.bytes[0]) return static_cast<unsigned char>(p[0]) < static_cast<unsigned char>(t.bytes[0]) ? -1 : 1;
  const std::size_t a = std::min(n, CappedText::kBytes);
  const int c = std::memcmp(p, t.bytes.data(), std::min<std::size_t>(a, t.size));
  if (c) return c;
  return a < t.size ? -1 : a > t.size ? 1 : 0;
}

inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Equality of two values of n <= 24 bytes with a few word loads instead of a call to memcmp.
inline bool same_short(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    if (load8(a) != load8(b) || load8(a + n - 8) != load8(b + n - 8)) return false;
    return n <= 16 || load8(a + 8) == load8(b + 8);
  }
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

struct NumberParts {
  bool negative = false;
  std::string_view integer, fraction;  // digits only
};

NumberParts number_parts(std::string_view s) {
  NumberParts n;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    n.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const std::size_t dot = s.find('.');
  n.integer = s.substr(0, dot);
  if (dot != std::string_view::npos) n.fraction = s.substr(dot + 1);
  while (!n.integer.empty() && n.integer[0] == '0') n.integer.remove_prefix(1);
  while (!n.fraction.empty() && n.fraction.back() == '0') n.fraction.remove_suffix(1);
  if (n.integer.empty() && n.fraction.empty()) n.negative = false;  // -0 is 0
  return n;
}

int compare_magnitudes(const NumberParts& a, const NumberParts& b) {
  if (a.integer.size() != b.integer.size()) return a.integer.size() < b.integer.size() ? -1 : 1;
  if (const int c = a.integer.compare(b.integer)) return c < 0 ? -1 : 1;
  if (const int c = a.fraction.compare(b.fraction)) return c < 0 ? -1 : 1;  // trailing zeros removed
  return 0;
}

// The value as an int64 when it is an integer in range (frac_digits == 0 checked by the caller).
inline bool to_int64(const char* p, std::size_t n, const NumberShape& s, std::int64_t& out) {
  if (s.int_digits > 19) return false;
  std::size_t i = (p[0] == '-' || p[0] == '+') ? 1 : 0;
  std::uint64_t v = 0;
  for (; i < n; ++i) v = v * 10 + static_cast<std::uint64_t>(p[i] - '0');
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(INT64_MAX);
  if (s.negative) {
    if (v > kMax + 1) return false;
    out = v == kMax + 1 ? INT64_MIN : -static_cast<std::int64_t>(v);
  } else {
    if (v > kMax) return false;
    out = static_cast<std::int64_t>(v);
  }
  return true;
}

// Numeric order of two values parse_number_shape accepted, using their shapes so that most
// comparisons end at the sign or the number of integer digits.
int compare_shaped(std::string_view a, const NumberShape& sa, std::string_view b, const NumberShape& sb) {
  auto zero = [](std::string_view v, const NumberShape& s) {
    return s.int_digits == 0 && v.find_first_of("123456789") == std::string_view::npos;
  };
  const bool na = sa.negative && !zero(a, sa), nb = sb.negative && !zero(b, sb);
  if (na != nb) return na ? -1 : 1;
  int c = 0;
  if (sa.int_digits != sb.int_digits) {
    c = sa.int_digits < sb.int_digits ? -1 : 1;
  } else {
    // Integer digits: the same count, no leading zeros; they end where the fraction (and point) begin.
    const auto int_end = [](std::string_view v, const NumberShape& s) {
      return v.size() - static_cast<std::size_t>(s.frac_digits) - (s.frac_digits ? 1 : 0);
    };
    const std::size_t ia = int_end(a, sa) - static_cast<std::size_t>(sa.int_digits);
    const std::size_t ib = int_end(b, sb) - static_cast<std::size_t>(sb.int_digits);
    c = std::memcmp(a.data() + ia, b.data() + ib, static_cast<std::size_t>(sa.int_digits));
    if (c == 0) {
      const std::string_view fa = a.substr(a.size() - static_cast<std::size_t>(sa.frac_digits));
      const std::string_view fb = b.substr(b.size() - static_cast<std::size_t>(sb.frac_digits));
      const std::size_t common = std::min(fa.size(), fb.size());
      c = std::memcmp(fa.data(), fb.data(), common);
      if (c == 0) {
        // The longer fraction is larger only if its extra digits are not all zero.
        if (fa.size() > common && fa.substr(common).find_first_not_of('0') != std::string_view::npos) c = 1;
        else if (fb.size() > common && fb.substr(common).find_first_not_of('0') != std::string_view::npos) c = -1;
      }
    }
    c = c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return na ? -c : c;
}

std::string int_text(std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

bool parse_number_shape(const char* p, std::size_t n, NumberShape& shape) {
  shape = NumberShape{};
  std::size_t i = 0;
  if (n && (p[0] == '-' || p[0] == '+')) {
    shape.negative = p[0] == '-';
    i = 1;
  }
  const std::size_t int_start = i;
  while (i < n && is_digit(p[i])) ++i;
  const std::size_t int_digits = i - int_start;
  std::size_t frac_digits = 0;
  if (i < n && p[i] == '.') {
    const std::size_t frac_start = ++i;
    while (i < n && is_digit(p[i])) ++i;
    frac_digits = i - frac_start;
    if (frac_digits == 0) return false;  // "5." is valid for PostgreSQL, but rare enough to be a code
  }
  if (i != n || (int_digits == 0 && frac_digits == 0)) return false;
  if (int_digits > 1 && p[int_start] == '0') return false;
  // A lone 0 before the point needs no precision: 0.25 fits numeric(2,2).
  shape.int_digits = (int_digits == 1 && p[int_start] == '0') ? 0 : static_cast<int>(int_digits);
  shape.frac_digits = static_cast<int>(frac_digits);
  return true;
}

bool is_boolean_text(const char* p, std::size_t n) {
  if (n == 0 || n > 5) return false;
  char lower[5];
  for (std::size_t i = 0; i < n; ++i) lower[i] = static_cast<char>(p[i] | 0x20);  // ASCII letters only below
  const std::string_view v(lower, n);
  return v == "true" || v == "false" || v == "t" || v == "f" || v == "yes" || v == "no" || v == "y" || v == "n";
}

bool is_timestamp_text(const char* p, std::size_t n, bool& timezone) {
  int y, m, d, hh, mm, ss;
  if (n < 10 || p[4] != '-' || p[7] != '-' || !two_digits(p, y) || !two_digits(p + 2, m)) return false;
  y = y * 100 + m;
  if (!two_digits(p + 5, m) || !two_digits(p + 8, d) || !is_valid_date(y, m, d)) return false;
  if (n == 10) return true;
  std::size_t i = 10;
  if ((p[i] != ' ' && p[i] != 'T') || n < i + 6) return false;
  ++i;
  if (!two_digits(p + i, hh) || p[i + 2] != ':' || !two_digits(p + i + 3, mm) || hh > 23 || mm > 59) return false;
  i += 5;
  if (i < n && p[i] == ':') {
    if (n < i + 3 || !two_digits(p + i + 1, ss) || ss > 60) return false;
    i += 3;
    if (i < n && p[i] == '.') {
      const std::size_t start = ++i;
      while (i < n && is_digit(p[i])) ++i;
      if (i == start || i - start > 9) return false;
    }
  }
  if (i == n) return true;
  if (p[i] == 'Z' && i + 1 == n) {
    timezone = true;
    return true;
  }
  if (p[i] != '+' && p[i] != '-') return false;
  ++i;
  int oh, om;
  if (n < i + 2 || !two_digits(p + i, oh) || oh > 15) return false;
  i += 2;
  if (i < n && p[i] == ':') ++i;
  if (i < n) {
    if (n != i + 2 || !two_digits(p + i, om) || om > 59) return false;
  }
  timezone = true;
  return true;
}

int compare_numbers(std::string_view a, std::string_view b) {
  const NumberParts x = number_parts(a), y = number_parts(b);
  if (x.negative != y.negative) return x.negative ? -1 : 1;
  const int c = compare_magnitudes(x, y);
  return x.negative ? -c : c;
}

// ---- ColumnStats ----

void ColumnStats::decimal_from_integers() {
  if (int_min > int_max) return;  // no integers seen
  const std::string lo = int_text(int_min), hi = int_text(int_max);
  num_min.assign(lo.data(), lo.size());
  num_max.assign(hi.data(), hi.size());
  parse_number_shape(lo.data(), lo.size(), num_min_shape);
  parse_number_shape(hi.data(), hi.size(), num_max_shape);
}

std::optional<DayNumber> ColumnStats::day_of_key(DayKey key, bool day_first) {
  if (key < kOrderedKey) return key;
  key -= kOrderedKey;
  const int year = key / 10000, first = key / 100 % 100, second = key % 100;
  const int month = day_first ? second : first, day = day_first ? first : second;
  if (!is_valid_date(year, month, day)) return std::nullopt;
  return days_from_civil(year, month, day);
}

bool ColumnStats::add(const char* p, std::size_t n, std::uint64_t line, const DateParser& dates, DayKey& key) {
  ++values;
  if (n == last_size_ && same_short(p, last_.data(), n)) {
    key = last_key_;
    return last_has_day_ && (candidates & kDay);
  }
  const bool has_day = add_new(p, n, line, dates, key);
  if (n <= kLastBytes) {
    std::memcpy(last_.data(), p, n);
    last_size_ = static_cast<std::uint8_t>(n);
    last_has_day_ = has_day;
    last_key_ = key;
  } else {
    last_size_ = 0xFF;
  }
  return has_day;
}

bool ColumnStats::day_key(const char* p, std::size_t n, std::uint64_t line, bool timestamp, DayKey& key) {
  int y = 0, m = 0, d = 0;
  bool ymd = false;  // YYYY-MM-DD[time] or YYYYMMDD, read into y, m, d
  if (n >= 10 && p[4] == '-' && p[7] == '-') {
    // An ISO date, or a timestamp's date: load and validate read a timestamp column by its date.
    bool zone = false;
    if (n > 10 && !timestamp && !is_timestamp_text(p, n, zone)) return false;
    if (!fixed_digits(p, 4, y) || !fixed_digits(p + 5, 2, m) || !fixed_digits(p + 8, 2, d)) return false;
    ymd = true;
  } else if (n == 8) {  // 1/5/2024 has 8 characters too
    ymd = fixed_digits(p, 4, y) && fixed_digits(p + 4, 2, m) && fixed_digits(p + 6, 2, d);
  }
  if (ymd) {
    if (!is_valid_date(y, m, d)) return false;
    key = days_from_civil(y, m, d);
    return true;
  }
  int first, second;
  char sep;
  if (!ordered_date_parts(p, n, first, second, y, sep)) return false;
  const bool month_first = is_valid_date(y, first, second), day_first = is_valid_date(y, second, first);
  DateOrderEvidence& e = date_order;
  if (!month_first && !day_first) return false;
  if (e.values && sep != e.separator) return false;
  if (!(month_first && e.month_first_valid) && !(day_first && e.day_first_valid)) return false;  // no order fits all
  e.separator = sep;
  ++e.values;
  e.month_first_valid = e.month_first_valid && month_first;
  e.day_first_valid = e.day_first_valid && day_first;
  if (first > 12 && !e.first_over_12.set()) e.first_over_12.assign(p, n, line);
  if (second > 12 && !e.second_over_12.set()) e.second_over_12.assign(p, n, line);
  if (first != second && first <= 12 && second <= 12) {
    const auto slot = std::find_if(e.ambiguous.begin(), e.ambiguous.end(), [&](const SeenValue& v) {
      return !v.set() || v.view() == std::string_view(p, n);
    });
    if (slot != e.ambiguous.end() && !slot->set()) slot->assign(p, n, line);
  }
  key = kOrderedKey + y * 10000 + first * 100 + second;
  return true;
}

bool ColumnStats::add_new(const char* p, std::size_t n, std::uint64_t line, const DateParser& dates, DayKey& key) {
  const std::uint64_t hash = HyperLogLog::hash(p, n);
  distinct.prefetch(hash);
  if (n > max_chars) max_chars = std::max(max_chars, utf8_chars(p, n));  // bytes >= characters
  if (!text_min.set || compare_capped(p, n, text_min) < 0) text_min.assign(p, n);
  if (!text_max.set || compare_capped(p, n, text_max) > 0) text_max.assign(p, n);
  if (!candidates) {
    distinct.add_hash(hash);
    return false;
  }

  if ((candidates & kBoolean) && !is_boolean_text(p, n)) candidates &= ~kBoolean;

  if (candidates & (kInteger | kDecimal)) {
    NumberShape s;
    if (!parse_number_shape(p, n, s)) {
      candidates &= ~(kInteger | kDecimal);
    } else {
      bool integer = false;
      std::int64_t v = 0;
      if (candidates & kInteger) {
        integer = s.frac_digits == 0 && to_int64(p, n, s, v);
        if (!integer) {
          // The values so far were integers: carry their min/max over to the numeric order.
          if (candidates & kDecimal) decimal_from_integers();
          candidates &= ~kInteger;
        }
      }
      if (candidates & kDecimal) {
        int_digits = std::max(int_digits, s.int_digits);
        if (!most_places.set() || s.frac_digits > frac_digits) most_places.assign(p, n, line);
        if (s.frac_digits < frac_digits_min) fewest_places.assign(p, n, line);
        frac_digits = std::max(frac_digits, s.frac_digits);
        frac_digits_min = std::min(frac_digits_min, s.frac_digits);
      }
      if (integer) {
        int_min = std::min(int_min, v);
        int_max = std::max(int_max, v);
      } else if (candidates & kDecimal) {
        if (n > CappedText::kBytes) {
          decimal_minmax_valid = false;
        } else {
          const std::string_view value(p, n);
          if (!num_min.set || compare_shaped(value, s, num_min.view(), num_min_shape) < 0) {
            num_min.assign(p, n);
            num_min_shape = s;
          }
          if (!num_max.set || compare_shaped(value, s, num_max.view(), num_max_shape) > 0) {
            num_max.assign(p, n);
            num_max_shape = s;
          }
        }
      }
    }
  }

  if (candidates & kDate) {
    DayNumber day;
    if (n > 10 || !dates.parse({p, n}, day)) {
      candidates &= ~kDate;
    } else {
      if (day < day_min) {
        day_min = day;
        day_min_text.assign(p, n);
      }
      if (day > day_max) {
        day_max = day;
        day_max_text.assign(p, n);
      }
    }
  }

  const bool timestamp = (candidates & kTimestamp) && is_timestamp_text(p, n, timezone);
  if (!timestamp) candidates &= ~kTimestamp;
  bool has_day = false;
  if (candidates & kDay) {
    has_day = day_key(p, n, line, timestamp, key);
    if (!has_day) candidates &= ~kDay;
  }
  distinct.add_hash(hash);
  return has_day;
}

void ColumnStats::merge(ColumnStats& o, std::uint64_t line_offset) {
  values += o.values;
  nulls += o.nulls;
  if (o.values == 0) return;
  std::uint8_t merged = candidates & o.candidates;
  if (merged & kDay) {
    date_order.merge(o.date_order, line_offset);
    if (!date_order.month_first_valid && !date_order.day_first_valid) merged &= ~kDay;  // each part fits another order
  }
  auto shifted = [line_offset](SeenValue v) {
    v.line += line_offset;
    return v;
  };
  if (o.most_places.set() && (!most_places.set() || o.frac_digits > frac_digits)) most_places = shifted(o.most_places);
  if (o.fewest_places.set() && (!fewest_places.set() || o.frac_digits_min < frac_digits_min))
    fewest_places = shifted(o.fewest_places);
  frac_digits_min = std::min(frac_digits_min, o.frac_digits_min);
  if ((merged & kDecimal) && !(merged & kInteger)) {
    if (candidates & kInteger) decimal_from_integers();
    if (o.candidates & kInteger) o.decimal_from_integers();
  }
  candidates = merged;
  timezone = timezone || o.timezone;
  decimal_minmax_valid = decimal_minmax_valid && o.decimal_minmax_valid;
  int_min = std::min(int_min, o.int_min);
  int_max = std::max(int_max, o.int_max);
  int_digits = std::max(int_digits, o.int_digits);
  frac_digits = std::max(frac_digits, o.frac_digits);
  if (o.num_min.set && (!num_min.set || compare_numbers(o.num_min.view(), num_min.view()) < 0)) {
    num_min = o.num_min;
    num_min_shape = o.num_min_shape;
  }
  if (o.num_max.set && (!num_max.set || compare_numbers(o.num_max.view(), num_max.view()) > 0)) {
    num_max = o.num_max;
    num_max_shape = o.num_max_shape;
  }
  if (o.day_min < day_min) {
    day_min = o.day_min;
    day_min_text = o.day_min_text;
  }
  if (o.day_max > day_max) {
    day_max = o.day_max;
    day_max_text = o.day_max_text;
  }
  if (o.text_min.set && (!text_min.set || o.text_min.view() < text_min.view())) text_min = o.text_min;
  if (o.text_max.set && (!text_max.set || o.text_max.view() > text_max.view())) text_max = o.text_max;
  max_chars = std::max(max_chars, o.max_chars);
  distinct.merge(o.distinct);
}

void ColumnStats::clear() {
  // Field by field: assigning a fresh ColumnStats would build an 8 KiB temporary per column.
  values = nulls = 0;
  candidates = kAll;
  timezone = false;
  decimal_minmax_valid = true;
  int_min = INT64_MAX;
  int_max = INT64_MIN;
  int_digits = frac_digits = 0;
  frac_digits_min = INT32_MAX;
  most_places = fewest_places = SeenValue{};
  date_order = DateOrderEvidence{};
  num_min = num_max = day_min_text = day_max_text = text_min = text_max = CappedText{};
  num_min_shape = num_max_shape = NumberShape{};
  last_size_ = 0xFF;
  day_min = INT32_MAX;
  day_max = INT32_MIN;
  max_chars = 0;
  distinct.clear();
}

ColumnType ColumnStats::inferred_type() const {
  ColumnType t;
  if (values == 0) return t;  // text: nothing to go by
  if (candidates & kBoolean) {
    t.kind = ColumnKind::boolean;
  } else if (candidates & kInteger) {
    t.kind = int_min >= -32768 && int_max <= 32767               ? ColumnKind::smallint
             : int_min >= INT32_MIN && int_max <= INT32_MAX ? ColumnKind::integer
                                                                  : ColumnKind::bigint;
  } else if ((candidates & kDecimal) && int_digits + frac_digits <= 1000) {
    t.kind = ColumnKind::numeric;
    t.precision = std::max(1, int_digits + frac_digits);
    t.scale = frac_digits;
  } else if (candidates & kDate) {
    t.kind = ColumnKind::date;
  } else if (candidates & kTimestamp) {
    t.kind = timezone ? ColumnKind::timestamptz : ColumnKind::timestamp;
  } else if (max_chars <= 10485760) {  // PostgreSQL's varchar limit
    t.kind = ColumnKind::varchar;
    t.length = static_cast<int>(std::max<std::uint32_t>(max_chars, 1));
  }
  return t;
}

std::string ColumnStats::min() const {
  if (values == 0) return "";
  switch (inferred_type().kind) {
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint: return int_text(int_min);
    case ColumnKind::numeric: return decimal_minmax_valid ? num_min.str() : "";
    case ColumnKind::date: return day_min_text.str();
    default: return text_min.str();
  }
}

std::string ColumnStats::max() const {
  if (values == 0) return "";
  switch (inferred_type().kind) {
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint: return int_text(int_max);
    case ColumnKind::numeric: return decimal_minmax_valid ? num_max.str() : "";
    case ColumnKind::date: return day_max_text.str();
    default: return text_max.str();
  }
}

std::uint64_t ColumnStats::distinct_estimate() const {
  const double e = std::round(distinct.estimate());
  return std::min(values, static_cast<std::uint64_t>(e));
}

// ---- ColumnProfiler ----

namespace {
const DateParser kAutoDates;  // type inference always uses the three standard forms
}  // namespace

ColumnProfiler::ColumnProfiler(ProfileSettings settings)
    : settings_(std::move(settings)),
      columns_(static_cast<std::size_t>(std::max(0, settings_.columns))),
      tally_of_(columns_.size(), -1) {
  std::vector<int> wanted = settings_.date_columns;
  if (settings_.date_columns_auto)
    for (int c = 0; c < settings_.columns; ++c) wanted.push_back(c);
  tallies_.reserve(wanted.size());
  for (const int c : wanted) {
    if (c < 0 || c >= settings_.columns || tally_of_[static_cast<std::size_t>(c)] >= 0) continue;
    tally_of_[static_cast<std::size_t>(c)] = static_cast<int>(tallies_.size());
    tallies_.emplace_back(settings_.date_columns_auto ? ProfileSettings::kAutoMaxDays : DayCounts::kMaxDays);
  }
}

void ColumnProfiler::field(int field, const char* data, std::size_t size, bool is_null, std::uint64_t line) {
  const auto f = static_cast<std::size_t>(field);
  ColumnStats& c = columns_[f];
  const int tally = tally_of_[f];
  if (is_null) {
    ++c.nulls;
    if (tally >= 0) {
      DayTally& t = tallies_[static_cast<std::size_t>(tally)];
      ++t.empty;
      // An inferred date column has a date in every row: this one is out.
      if (settings_.date_columns_auto && t.active) {
        t.active = false;
        t.days.clear();
      }
    }
    return;
  }
  ColumnStats::DayKey key;
  const bool has_day = c.add(data, size, line, kAutoDates, key);
  if (tally < 0) return;
  DayTally& t = tallies_[static_cast<std::size_t>(tally)];
  if (!t.active) return;
  if (settings_.date_columns_auto) {
    // The column's own day test decides; its parse is reused. Keys of N/N/YYYY values become days
    // in histogram(), once the file has shown their order.
    if (has_day) t.days.add(key);
    // Past kAutoMaxDays days it cannot be chosen either; stop paying for its map.
    if (!has_day || t.days.overflowed()) {
      t.active = false;
      t.days.clear();
    }
    return;
  }
  DayNumber day;
  if (settings_.date_parser.parse({data, size}, day)) {
    t.days.add(day);
  } else {
    ++t.not_a_date;
  }
}

void ColumnProfiler::row_end(bool well_formed) {
  ++rows_;
  if (!well_formed) ++flagged_rows_;
}

void ColumnProfiler::merge(ColumnProfiler& other, std::uint64_t first_line) {
  for (std::size_t i = 0; i < columns_.size() && i < other.columns_.size(); ++i)
    columns_[i].merge(other.columns_[i], first_line);
  for (std::size_t i = 0; i < tallies_.size() && i < other.tallies_.size(); ++i) {
    DayTally& t = tallies_[i];
    DayTally& o = other.tallies_[i];
    t.active = t.active && o.active;
    if (t.active) t.days.merge(o.days);
    else t.days.clear();
    t.empty += o.empty;
    t.not_a_date += o.not_a_date;
  }
  rows_ += other.rows_;
  flagged_rows_ += other.flagged_rows_;
  other.clear();
}

void ColumnProfiler::clear() {
  for (auto& c : columns_) c.clear();
  for (auto& t : tallies_) {
    t.days.clear();
    t.empty = t.not_a_date = 0;
    t.active = true;
  }
  rows_ = flagged_rows_ = 0;
}

std::optional<ColumnProfiler::DateHistogram> ColumnProfiler::histogram(int column) const {
  if (column < 0 || column >= settings_.columns) return std::nullopt;
  const int tally = tally_of_[static_cast<std::size_t>(column)];
  if (tally < 0) return std::nullopt;
  const DayTally& t = tallies_[static_cast<std::size_t>(tally)];
  if (!t.active) return std::nullopt;
  DateHistogram h;
  h.column = column;
  if (settings_.date_columns_auto) {
    const ColumnStats& c = columns_[static_cast<std::size_t>(column)];
    // A merge can end a column's days (two chunks whose N/N/YYYY values fit different orders).
    if (t.days.dropped() || !c.all_days()) return std::nullopt;
    const bool day_first = c.day_first();
    for (const auto& [key, rows] : t.days.sorted()) {
      if (const auto day = ColumnStats::day_of_key(key, day_first)) h.rows_per_day[*day] += rows;
      else h.not_a_date += rows;
    }
  } else {
    h.rows_per_day = t.days.sorted();
  }
  h.empty = t.empty;
  h.not_a_date += t.not_a_date;
  h.dropped = t.days.dropped();
  return h;
}

}  // namespace sluice
