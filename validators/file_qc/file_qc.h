// File QC: the accumulators the scan workers fill for each chunk (ChunkQc), and the merge that
// turns them into a verdict for the whole file (FileQc -> QcReport). Every row is checked, not a
// sample. The checks: fields per row, required fields non-empty, the date column parsed in every
// row, rows per day, dates outside the expected range, and days with no rows (including leading
// and trailing days, and a wholly missing range).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/dates.h"
#include "validators/file_qc/day_counts.h"
#include "validators/file_qc/findings.h"
#include "validators/file_qc/value_checks.h"

namespace sluice {

struct QcSettings {
  std::vector<std::string> column_names;   // in file order
  std::vector<bool> required;              // per column: empty value is a finding
  // Per column: the declared type's check (with the target's acceptance rules), or none for
  // unbounded text and with --qc none.
  std::vector<std::optional<ValueChecker>> value_checks;
  int date_field = -1;                     // 0-based index of the date column, -1 = none
  DateParser date_parser;
  bool check_dates = true;                 // false with --qc none (structure is always checked)
  std::optional<DateRange> expected_range; // from --month or the file name; none = min..max found
  // The table's duplicate_key columns (0-based, in key order); empty = no duplicate-key check.
  // Checked over the whole file, exactly, in bounded memory (duplicate_keys.h).
  std::vector<int> key_fields;
  bool low_days_fail = true;               // the table's low_days: fail (default) or warn
  int expected_fields() const { return static_cast<int>(column_names.size()); }
};

// One chunk's findings; lines are chunk-relative (0-based) until merged.
struct ChunkQc {
  std::array<ExampleList, kScanChecks> lists;  // one per scan check, indexed by Check
  std::map<int, std::uint64_t> rows_by_field_count;  // of the rows in the column_count list only
  DayCounts days;

  ExampleList& list(Check check) { return lists[static_cast<std::size_t>(check)]; }
  const ExampleList& list(Check check) const { return lists[static_cast<std::size_t>(check)]; }
  // The problems that make rows bad (not the warnings): any of them stops the chunk's COPY.
  std::uint64_t error_count() const;
};

struct QcReport {
  std::vector<Finding> findings;
  std::uint64_t rows = 0;
  std::map<int, std::uint64_t> rows_by_field_count;  // every row, by its number of fields
  std::map<DayNumber, std::uint64_t> rows_per_day;
  std::optional<DateRange> expected_range;
  std::optional<DateRange> found_range;   // min..max of parseable dates

  bool passed() const;
  std::uint64_t error_findings() const;
};

// Sorted days as lines: "2024-01-05", "2024-01-20..2024-01-22 (3 days)".
std::vector<std::string> day_ranges(const std::vector<DayNumber>& days);

// Per-day row-count anomalies, classified as analysts know them from the original tool, checked in
// this order: under 10% of the mean (severely low), below the interquartile fence Q1 - 1.5 IQR
// (outlier low), under 50% of the mean (low), above Q3 + 1.5 IQR (outlier high).
enum class DayAnomalyKind { severely_low, outlier_low, low, outlier_high };
const char* to_string(DayAnomalyKind kind);   // "severely_low", ...
const char* describe(DayAnomalyKind kind);    // "severely low (under 10% of the mean)", ...

struct DayAnomaly {
  DayNumber day = 0;
  std::uint64_t rows = 0;
  DayAnomalyKind kind = DayAnomalyKind::low;
  double percent_of_mean = 0;
};

struct DayStatistics {
  std::size_t days = 0;          // days with rows in the span
  double mean = 0, q1 = 0, median = 0, q3 = 0;
  double low_fence = 0, high_fence = 0;
  std::vector<DayAnomaly> anomalies;  // by date
};

// The statistics over the days of `span` that have rows (missing days are their own finding), or
// nullopt with fewer than 7 such days (too few for a meaningful spread). Shared by file QC and the
// warehouse checks (validate, --qc warehouse).
std::optional<DayStatistics> day_statistics(const std::map<DayNumber, std::uint64_t>& rows_per_day, const DateRange& span);

// A day is an outlier only when it is also this far from the median (a share of it): with an even
// spread the IQR fences alone would flag 198 rows against 200.
inline constexpr double kMinOutlierDeviation = 0.2;

// The findings of day_statistics, the same for file QC and the warehouse checks (validate, --qc
// warehouse): "day_anomalies" for the days far below the others (severely_low, outlier_low: an
// error, or a warning when the table says low_days: warn, for data where a holiday or a weekend is
// legitimately thin) and "unusual_days" (low, outlier_high: always a warning).
std::vector<Finding> day_anomaly_findings(const DayStatistics& stats, bool low_days_fail);

// --on-error skip within its limit: the row checks' findings (field count, required, dates, quotes)
// become warnings, since those rows went to the reject file instead of the table.
void set_aside_row_findings(QcReport& report);

class FileQc {
 public:
  explicit FileQc(QcSettings settings) : settings_(std::move(settings)) {}
  const QcSettings& settings() const { return settings_; }

  // Adds a chunk's partial results; `first_line` is the 1-based file line of the chunk's first byte.
  void merge(ChunkQc&& chunk, std::uint64_t first_line);
  // A header row whose names differ from the config's columns.
  void header_mismatch(std::uint64_t line, const std::string& found, const std::string& expected);
  // Bytes in the header row that are not UTF-8: before the first chunk is merged, so the examples
  // stay in line order.
  void header_not_utf8(Example e) { total_.list(Check::invalid_utf8).add(std::move(e)); }
  // A file-level finding made outside the chunks (the duplicate-key confirmation pass).
  void add_finding(Finding f) { extra_.push_back(std::move(f)); }
  // The verdict over everything merged.
  QcReport finish(std::uint64_t rows);

 private:
  QcSettings settings_;
  ChunkQc total_;
  std::vector<Finding> extra_;
};

}  // namespace sluice
