// Per-value type checks for file QC. The rule: a load never fails on a value QC passed. Each check
// is therefore no more permissive than PostgreSQL 15's input function for the column type (what
// COPY ... FROM STDIN in text format accepts, DateStyle 'ISO, MDY', server encoding UTF8). Where
// PostgreSQL accepts something exotic (hex floats, "1e 5", "Jan 31 2024", "epoch", time zone names
// other than UTC/GMT) the check rejects it: a false QC failure is safe, a false pass is a bug.
// The accepted and rejected forms were verified against a real PostgreSQL 15.18 server; the unit
// tests (tests/unit/value_checks_*_test.cpp) pin them.
//
// UTF-8 validity and NUL bytes are not checked here: run find_invalid_utf8 (utf8.h) on the row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/column_type.h"
#include "core/dates.h"

namespace sluice {

enum class ValueError : std::uint8_t {
  none,
  not_integer,      // smallint/integer/bigint: not [sign]digits
  out_of_range,     // integer range; real/double overflow or underflow to zero; numeric beyond
                    // what PostgreSQL can store (131072 digits before, 16383 after the point)
  not_numeric,      // numeric/real/double: not a number in an accepted spelling
  too_many_digits,  // numeric(p,s): after rounding to s decimals, more than p-s integer digits
  not_finite,       // numeric(p,s): Infinity (PostgreSQL 15 stores it only in unconstrained numeric)
  not_boolean,
  not_date,
  not_timestamp,
  too_long,         // varchar(n)/char(n): more than n characters, not counting trailing spaces
};

// Stable id for reports and JSON: "not_integer", "too_long", ... ("none" for ValueError::none).
std::string_view value_error_id(ValueError e);

// Checks non-NULL values of one column. Build one per column before the scan; check() is the hot
// path: no allocation, no locale, no exceptions, safe to call from many threads at once.
class ValueChecker {
 public:
  explicit ValueChecker(const ColumnType& type);

  // Checks one non-NULL value (already unquoted; COPY escapes not applied).
  ValueError check(const char* data, std::size_t size) const;

  // One line for the QC report, e.g. "not an integer",
  // "out of range for integer (-2147483648..2147483647)",
  // "more than 18 digits before the decimal point for numeric(20,2)".
  std::string describe(ValueError e) const;

  const ColumnType& type() const { return type_; }

 private:
  ValueError check_integer(const char* p, const char* end) const;
  ValueError check_numeric(const char* p, const char* end) const;
  ValueError check_float(const char* p, const char* end) const;
  ValueError check_length(const char* p, std::size_t size) const;

  ColumnType type_;
  std::string_view int_limit_;  // integer kinds: the largest value, as text
  int max_chars_ = 0;          // varchar/char: 0 = unbounded
  DateParser dates_;           // auto mode: YYYY-MM-DD, YYYYMMDD, MM/DD/YYYY
};

}  // namespace sluice
