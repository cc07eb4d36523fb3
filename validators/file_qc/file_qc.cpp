#include "validators/file_qc/file_qc.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/text_format.h"

namespace sluice {

bool QcReport::passed() const { return error_findings() == 0; }

std::uint64_t QcReport::error_findings() const {
  return static_cast<std::uint64_t>(std::count_if(
      findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; }));
}

std::uint64_t ChunkQc::error_count() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kScanChecks; ++i)
    if (check_info(static_cast<Check>(i)).scope == CheckScope::row) n += lists[i].count();
  return n;
}

void FileQc::merge(ChunkQc&& c, std::uint64_t first_line) {
  // Chunk-relative lines are 0-based: line 0 of the chunk is file line `first_line`.
  for (std::size_t i = 0; i < kScanChecks; ++i) total_.lists[i].merge(std::move(c.lists[i]), first_line);
  for (const auto& [fields, rows] : c.rows_by_field_count) total_.rows_by_field_count[fields] += rows;
  total_.days.merge(c.days);
}

void FileQc::header_mismatch(std::uint64_t line, const std::string& found, const std::string& expected) {
  Finding f = make_finding(Check::header, 1);
  f.examples.push_back({line, 0, 0, found, "expected: " + expected});
  extra_.push_back(std::move(f));
}

namespace {

double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

// Collapses sorted days into "2024-01-05" and "2024-01-20..2024-01-22 (3 days)" lines.
std::vector<std::string> day_ranges(const std::vector<DayNumber>& days) {
  std::vector<std::string> out;
  for (size_t i = 0; i < days.size();) {
    size_t j = i;
    while (j + 1 < days.size() && days[j + 1] == days[j] + 1) ++j;
    if (i == j) out.push_back(format_iso(days[i]));
    else out.push_back(fmt::format("{}..{} ({} days)", format_iso(days[i]), format_iso(days[j]), j - i + 1));
    i = j + 1;
  }
  return out;
}

void set_aside_row_findings(QcReport& report) {
  for (auto& f : report.findings) {
    if (f.severity != Severity::error || check_info(f.check).scope != CheckScope::row) continue;
    f.severity = Severity::warning;
    f.message += " (set aside in the reject file)";
  }
}

const char* to_string(DayAnomalyKind kind) {
  switch (kind) {
    case DayAnomalyKind::severely_low: return "severely_low";
    case DayAnomalyKind::outlier_low: return "outlier_low";
    case DayAnomalyKind::low: return "low";
    case DayAnomalyKind::outlier_high: return "outlier_high";
  }
  return "?";
}

const char* describe(DayAnomalyKind kind) {
  switch (kind) {
    case DayAnomalyKind::severely_low: return "severely low (under 10% of the mean)";
    case DayAnomalyKind::outlier_low: return "outlier low (below Q1 - 1.5 IQR)";
    case DayAnomalyKind::low: return "low (under 50% of the mean)";
    case DayAnomalyKind::outlier_high: return "outlier high (above Q3 + 1.5 IQR)";
  }
  return "?";
}

std::optional<DayStatistics> day_statistics(const std::map<DayNumber, std::uint64_t>& rows_per_day, const DateRange& span) {
  std::vector<std::pair<DayNumber, double>> days;
  for (const auto& [d, n] : rows_per_day)
    if (span.contains(d)) days.emplace_back(d, static_cast<double>(n));
  if (days.size() < 7) return std::nullopt;
  std::vector<double> counts;
  double sum = 0;
  for (const auto& [d, n] : days) {
    counts.push_back(n);
    sum += n;
  }
  std::sort(counts.begin(), counts.end());
  DayStatistics s;
  s.days = days.size();
  s.mean = sum / static_cast<double>(counts.size());
  s.q1 = quantile(counts, 0.25);
  s.median = quantile(counts, 0.5);
  s.q3 = quantile(counts, 0.75);
  s.low_fence = s.q1 - 1.5 * (s.q3 - s.q1);
  s.high_fence = s.q3 + 1.5 * (s.q3 - s.q1);
  // With an even spread (a snapshot table: the same rows every day) the IQR is 0 and the fences
  // sit on the median itself, so 198 rows against 200 would be an outlier. A day is an outlier
  // only when it is beyond its fence and also at least kMinOutlierDeviation from the median.
  const double low_limit = std::min(s.low_fence, (1 - kMinOutlierDeviation) * s.median);
  const double high_limit = std::max(s.high_fence, (1 + kMinOutlierDeviation) * s.median);
  for (const auto& [d, n] : days) {
    std::optional<DayAnomalyKind> kind;
    if (n < 0.1 * s.mean) kind = DayAnomalyKind::severely_low;
    else if (n < low_limit) kind = DayAnomalyKind::outlier_low;
    else if (n < 0.5 * s.mean) kind = DayAnomalyKind::low;
    else if (n > high_limit) kind = DayAnomalyKind::outlier_high;
    if (kind) s.anomalies.push_back({d, static_cast<std::uint64_t>(n), *kind, s.mean > 0 ? 100.0 * n / s.mean : 0});
  }
  return s;
}

std::vector<Finding> day_anomaly_findings(const DayStatistics& s, bool low_days_fail) {
  std::vector<std::string> far_below, unusual;
  for (const auto& a : s.anomalies) {
    const bool far = a.kind == DayAnomalyKind::severely_low || a.kind == DayAnomalyKind::outlier_low;
    (far ? far_below : unusual)
        .push_back(fmt::format("{}: {} rows, {:.0f}% of the mean {:.0f}: {}", format_iso(a.day), grouped(a.rows),
                               a.percent_of_mean, s.mean, describe(a.kind)));
  }
  const std::string stats = fmt::format("mean {:.0f} rows/day, IQR {:.0f}..{:.0f}", s.mean, s.q1, s.q3);
  std::vector<Finding> out;
  if (!far_below.empty()) {
    Finding f = make_finding(Check::day_anomalies, far_below.size(), fmt::arg("stats", stats),
                             fmt::arg("low_days_warn", low_days_fail ? "" : "; the table's low_days: warn makes this a warning"));
    if (!low_days_fail) f.severity = Severity::warning;
    f.details.insert(f.details.end(), far_below.begin(), far_below.end());
    out.push_back(std::move(f));
  }
  if (!unusual.empty()) {
    Finding f = make_finding(Check::unusual_days, unusual.size(), fmt::arg("stats", stats));
    f.details.insert(f.details.end(), unusual.begin(), unusual.end());
    out.push_back(std::move(f));
  }
  return out;
}

QcReport FileQc::finish(std::uint64_t rows) {
  QcReport r;
  r.rows = rows;
  r.expected_range = settings_.expected_range;
  r.rows_per_day = total_.days.sorted();
  if (!r.rows_per_day.empty())
    r.found_range = DateRange{r.rows_per_day.begin()->first, r.rows_per_day.rbegin()->first};
  r.findings = extra_;

  const int n = settings_.expected_fields();
  const ExampleList& ragged = total_.list(Check::column_count);
  r.rows_by_field_count = total_.rows_by_field_count;
  if (rows > ragged.count()) r.rows_by_field_count[n] = rows - ragged.count();

  // The facts the scan checks' messages name. Date findings exist only for a date column.
  const bool dates = settings_.date_field >= 0;
  const std::string column = dates ? settings_.column_names[static_cast<std::size_t>(settings_.date_field)] : "";
  const std::string forms = settings_.date_parser.format().empty()
                                ? "YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY"
                                : "the configured format " + settings_.date_parser.format();
  const std::string range = r.expected_range ? r.expected_range->str() : "";
  for (std::size_t i = 0; i < kScanChecks; ++i) {
    const auto check = static_cast<Check>(i);
    const ExampleList& list = total_.lists[i];
    if (list.empty()) continue;
    Finding f = make_finding(check, list.count(), fmt::arg("expected", n), fmt::arg("column", column),
                             fmt::arg("forms", forms), fmt::arg("range", range));
    f.examples = list.examples();
    if (check == Check::column_count)
      for (const auto& [fields, count] : total_.rows_by_field_count)
        f.details.push_back(fmt::format("{} row{} with {} field{}", count, plural_s(count), fields, plural_s(fields)));
    r.findings.push_back(std::move(f));
  }

  if (dates && settings_.check_dates) {
    // Completeness: every day of the expected range (or of min..max when none is known) has rows.
    std::optional<DateRange> span = r.expected_range ? r.expected_range : r.found_range;
    if (span) {
      std::vector<DayNumber> missing;
      for (DayNumber d = span->first; d <= span->last; ++d)
        if (!r.rows_per_day.count(d)) missing.push_back(d);
      if (!missing.empty()) {
        Finding f = static_cast<std::int64_t>(missing.size()) == span->days()
                        ? make_finding_saying(Check::missing_days, missing.size(),
                                              fmt::format("no rows at all are dated in the expected range {} ({} days)",
                                                          span->str(), missing.size()))
                        : make_finding(Check::missing_days, missing.size(), fmt::arg("range", span->str()));
        for (auto& d : day_ranges(missing)) f.details.push_back(std::move(d));
        r.findings.push_back(std::move(f));
      }
      if (const auto stats = day_statistics(r.rows_per_day, *span))
        for (auto& f : day_anomaly_findings(*stats, settings_.low_days_fail)) r.findings.push_back(std::move(f));
    }
  }
  return r;
}

}  // namespace sluice
