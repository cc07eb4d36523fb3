// Column profiling for `sluice analyze` and `sluice config generate`: per column, the null count,
// the narrowest type every value fits, min/max, an approximate distinct count and (for a chosen
// date column) rows per day. It runs inside the scan workers on every field of every row, so the
// state per column is fixed-size (about 11 KiB, whatever the file size) and one field costs a hash,
// two short compares and a type check that stops testing a type once one value ruled it out.
//
// Partial profiles (one per chunk slot) are merged in file order by the pipeline's sink; every
// statistic here is order-independent, so the merge is exact except for the HyperLogLog estimate.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/column_type.h"
#include "core/dates.h"
#include "validators/file_qc/day_counts.h"

namespace sluice {

// Approximate distinct count: 2^13 one-byte registers (8 KiB), standard error 1.04/sqrt(8192) =
// 1.15%. Merging is a register-wise max, so partial sketches combine exactly. The estimate is
// Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
// sketches", 2017), which needs no empirical bias tables and is accurate from 0 to 2^50.
// Up to kExactMax distinct values the 64-bit hashes themselves are kept (a small open-addressing
// set), so columns of codes and flags get exact counts.
class HyperLogLog {
 public:
  static constexpr int kPrecision = 13;
  static constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;
  static constexpr std::size_t kExactSlots = 256;
  static constexpr std::size_t kExactMax = 128;

  static std::uint64_t hash(const char* data, std::size_t size);
  void add(const char* data, std::size_t size) { add_hash(hash(data, size)); }
  // Starts loading the memory add_hash(hash) will touch; it is usually not in cache (8 KiB of
  // registers per column), so callers do other work in between.
  void prefetch(std::uint64_t hash) const {
    if (dense_) __builtin_prefetch(&registers_[hash >> (64 - kPrecision)]);
    else __builtin_prefetch(&exact_[(hash ? hash : 1) & (kExactSlots - 1)]);
  }
  void add_hash(std::uint64_t hash) {
    if (dense_) add_register(hash);
    else add_exact(hash);
  }
  void merge(const HyperLogLog& other);
  double estimate() const;
  void clear();

 private:
  void add_register(std::uint64_t hash);
  void add_exact(std::uint64_t hash);
  void to_dense();

  bool dense_ = false;
  std::uint32_t exact_count_ = 0;
  std::array<std::uint64_t, kExactSlots> exact_{};  // 0 = empty slot
  std::array<std::uint8_t, kRegisters> registers_{};
};

// A value kept for min/max: at most kBytes bytes. Truncating to a prefix preserves lexical order,
// so the min/max of truncated values is the truncation of the true min/max.
struct CappedText {
  static constexpr std::size_t kBytes = 64;
  std::array<char, kBytes> bytes{};
  std::uint8_t size = 0;
  bool truncated = false;
  bool set = false;

  void assign(const char* data, std::size_t n);
  std::string_view view() const { return {bytes.data(), size}; }
  // Display form: cut on a UTF-8 boundary, "..." when the value was longer.
  std::string str() const;
};

// A number's sign and digit counts (see parse_number_shape).
struct NumberShape {
  bool negative = false;
  int int_digits = 0;   // significant digits before the point ("0" has none)
  int frac_digits = 0;  // digits after it
};

// A value kept as evidence for a finding (a date's order, a number's decimal places): where it is,
// as written (cut to kBytes).
struct SeenValue {
  static constexpr std::size_t kBytes = 24;
  std::array<char, kBytes> bytes{};
  std::uint8_t size = 0;
  bool truncated = false;
  std::uint64_t line = 0;  // file line once merged into the file's profile (chunk-relative before)

  bool set() const { return size != 0; }
  void assign(const char* data, std::size_t n, std::uint64_t at_line);
  std::string_view view() const { return {bytes.data(), size}; }
  std::string str() const;  // "..." appended when cut
};

// Dates written N/N/YYYY (also N.N.YYYY and N-N-YYYY; each N one or two digits): which part is
// the month the value does not say. A value whose first part is over 12 proves day-first, one
// whose second part is over 12 month-first; when every value has both parts <= 12 the file alone
// cannot tell (see validators/profile/type_proposal.h).
struct DateOrderEvidence {
  std::uint64_t values = 0;  // values of this form
  char separator = 0;        // the one they use ('/', '.', '-'); another makes them no dates
  bool month_first_valid = true;  // every value is a real date read month-first
  bool day_first_valid = true;    // ... read day-first
  SeenValue first_over_12;        // the first value (in the file) whose first part is over 12
  SeenValue second_over_12;       // ... whose second part is
  std::array<SeenValue, 3> ambiguous;  // the first distinct values with two different parts <= 12

  // Adds other's values, which come after these in the file; their lines get `line_offset`.
  void merge(const DateOrderEvidence& other, std::uint64_t line_offset);
};

// What one column's values have been so far.
struct ColumnStats {
  // Types still possible: each bit is cleared by the first value that does not fit. kDay: every
  // value names a day (a date, a timestamp, YYYYMMDD or N/N/YYYY in at least one order), so the
  // column can be a date_column.
  enum : std::uint8_t {
    kBoolean = 1, kInteger = 2, kDecimal = 4, kDate = 8, kTimestamp = 16, kDay = 32, kAll = 63
  };

  std::uint64_t values = 0;  // non-null
  std::uint64_t nulls = 0;
  std::uint8_t candidates = kAll;
  bool timezone = false;            // some timestamp carried an offset or Z
  bool decimal_minmax_valid = true; // false after a number too long to keep
  std::int64_t int_min = INT64_MAX, int_max = INT64_MIN;  // while kInteger
  int int_digits = 0, frac_digits = 0;                     // while kDecimal
  int frac_digits_min = INT32_MAX;                         // fewest decimal places of a number
  SeenValue most_places, fewest_places;                    // the first number with frac_digits / frac_digits_min
  CappedText num_min, num_max;      // kDecimal without kInteger: compared as numbers
  NumberShape num_min_shape, num_max_shape;
  DayNumber day_min = INT32_MAX, day_max = INT32_MIN;      // while kDate
  CappedText day_min_text, day_max_text;                   // as written in the file
  CappedText text_min, text_max;    // byte order (UTF-8 sorts by code point)
  std::uint32_t max_chars = 0;      // longest value in characters (UTF-8)
  DateOrderEvidence date_order;     // the values written N/N/YYYY, while kDay
  HyperLogLog distinct;

  // A day as a date tally counts it before the order of N/N/YYYY parts is known: a day number for
  // the forms that say which part is which, else the parts packed (see day_of_key).
  using DayKey = std::int32_t;

  // One non-null value, on chunk-relative `line`. Returns true and sets `key` when the column may
  // still be a date column and the value names a day.
  bool add(const char* data, std::size_t size, std::uint64_t line, const DateParser& dates, DayKey& key);
  // Adds other's values, which come after these in the file (their lines get `line_offset`).
  void merge(ColumnStats& other, std::uint64_t line_offset = 0);
  void clear();

  // The narrowest type every non-null value fits: boolean, smallint/integer/bigint, numeric(p,s),
  // date, timestamp(tz), else varchar(longest). A column with no values is text. What the file
  // needs; the type to declare for next month's file is validators/profile/type_proposal.h's.
  ColumnType inferred_type() const;
  // Every non-null value names a day (YYYY-MM-DD, an ISO timestamp, YYYYMMDD, or N/N/YYYY read in
  // one order for all); with nulls == 0 the column can be a date_column.
  bool all_days() const { return values > 0 && (candidates & kDay); }
  // N/N/YYYY values are read day-first: only that order makes every one a date (some value's
  // first part is over 12: date_order.first_over_12).
  bool day_first() const {
    return date_order.values > 0 && date_order.day_first_valid && !date_order.month_first_valid;
  }
  // The day a tally key names, read day-first or month-first; nullopt for a key of no real day.
  static std::optional<DayNumber> day_of_key(DayKey key, bool day_first);
  // Smallest / largest value in the order of the inferred type (numbers numerically, dates by day,
  // text by bytes), as written in the file and capped at CappedText::kBytes; "" when no values.
  std::string min() const;
  std::string max() const;
  std::uint64_t distinct_estimate() const;

 private:
  bool add_new(const char* data, std::size_t size, std::uint64_t line, const DateParser& dates, DayKey& key);
  // The day `data` names (`timestamp`: it is known to be an ISO timestamp), updating date_order.
  bool day_key(const char* data, std::size_t size, std::uint64_t line, bool timestamp, DayKey& key);
  void decimal_from_integers();

  // The previous value, when short: a repeat (a sorted date, a code, a flag) changes nothing but
  // the count, so it skips the hash, the compares and the type checks.
  static constexpr std::size_t kLastBytes = 24;
  std::array<char, kLastBytes> last_{};
  std::uint8_t last_size_ = 0xFF;  // none
  bool last_has_day_ = false;
  DayKey last_key_ = 0;
};

struct ProfileSettings {
  int columns = 0;
  std::vector<int> date_columns;  // 0-based columns to count rows per day for
  DateParser date_parser;         // how those columns' dates are written (auto by default)
  // Count rows per day for every column while all its values are dates (in the standard forms)
  // and span at most kAutoMaxDays days, so the date column can be chosen after the pass.
  bool date_columns_auto = false;
  static constexpr std::size_t kAutoMaxDays = 1000;
};

// The profile of one chunk or of a whole file. Not thread-safe: one per chunk slot.
class ColumnProfiler {
 public:
  explicit ColumnProfiler(ProfileSettings settings);

  // The FieldObserver protocol (see loaders/scan/chunk_scanner.h): every field of every row, then
  // row_end. Fields past the column count are never passed.
  void field(int field, const char* data, std::size_t size, bool is_null, std::uint64_t line);
  void row_end(bool well_formed);

  // Adds `other`'s observations (same settings) to this profile and clears `other`. `other` saw
  // the rows that follow; its chunk-relative lines become file lines by adding `first_line`
  // (the file line of its first row).
  void merge(ColumnProfiler& other, std::uint64_t first_line = 0);
  void clear();

  const ProfileSettings& settings() const { return settings_; }
  std::uint64_t rows() const { return rows_; }
  std::uint64_t flagged_rows() const { return flagged_rows_; }  // row_end(false): rows the scanner found bad
  const std::vector<ColumnStats>& columns() const { return columns_; }

  struct DateHistogram {
    int column = -1;
    std::map<DayNumber, std::uint64_t> rows_per_day;
    std::uint64_t empty = 0;        // rows whose value was null
    std::uint64_t not_a_date = 0;   // rows whose value did not parse
    std::uint64_t dropped = 0;      // rows on days past DayCounts::kMaxDays
  };
  // Rows per day for one of settings().date_columns (or, in auto mode, any column still all
  // days, its N/N/YYYY values read in the order they prove, else month-first); nullopt for
  // another column.
  std::optional<DateHistogram> histogram(int column) const;

 private:
  struct DayTally {
    explicit DayTally(std::size_t max_days) : days(max_days) {}
    DayCounts days;
    std::uint64_t empty = 0, not_a_date = 0;
    bool active = true;  // auto mode: false once a value was not a date
  };
  ProfileSettings settings_;
  std::vector<ColumnStats> columns_;
  std::vector<int> tally_of_;       // per column: index into tallies_, or -1
  std::vector<DayTally> tallies_;
  std::uint64_t rows_ = 0, flagged_rows_ = 0;
};

// Value shapes shared with the sniffer, which classifies the first row against the rest.
// [+-]digits[.digits] (or [+-].digits). A multi-digit integer part with a leading zero ("007",
// "00.5") is not a number: such values are codes whose zeros a numeric column would drop.
bool parse_number_shape(const char* data, std::size_t size, NumberShape& shape);
// true, false, t, f, yes, no, y, n in any case.
bool is_boolean_text(const char* data, std::size_t size);
// YYYY-MM-DD, optionally followed by [ T]HH:MM[:SS[.fraction]] and Z or +-HH[:MM]; `timezone` is
// set when an offset or Z is present.
bool is_timestamp_text(const char* data, std::size_t size, bool& timezone);

// Orders two values that parse_number_shape accepted, numerically: <0, 0, >0.
int compare_numbers(std::string_view a, std::string_view b);

}  // namespace sluice
