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

void FileQc::merge(ChunkQc&& c, std::uint64_t first_line) {
  // Chunk-relative lines are 0-based: line 0 of the chunk is file line `first_line`.
  total_.wrong_field_count.merge(std::move(c.wrong_field_count), first_line);
  total_.missing_required.merge(std::move(c.missing_required), first_line);
  total_.empty_date.merge(std::move(c.empty_date), first_line);
  total_.bad_date.merge(std::move(c.bad_date), first_line);
  total_.out_of_range.merge(std::move(c.out_of_range), first_line);
  total_.unterminated_quote.merge(std::move(c.unterminated_quote), first_line);
  total_.invalid_utf8.merge(std::move(c.invalid_utf8), first_line);
  total_.bad_value.merge(std::move(c.bad_value), first_line);
  total_.stray_quote.merge(std::move(c.stray_quote), first_line);
  for (const auto& [fields, rows] : c.rows_by_field_count) total_.rows_by_field_count[fields] += rows;
  total_.days.merge(c.days);
}

void FileQc::header_mismatch(std::uint64_t line, const std::string& found, const std::string& expected) {
  Finding f;
  f.check = "header";
  f.message = "the header row does not match the configured columns";
  f.count = 1;
  f.examples.push_back({line, 0, 0, found, "expected: " + expected});
  extra_.push_back(std::move(f));
}

namespace {

Finding from_list(const char* check, std::string message, const ExampleList& list) {
  Finding f;
  f.check = check;
  f.message = std::move(message);
  f.count = list.count();
  f.examples = list.examples();
  return f;
}

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
  static const char* const kRowLevel[] = {"column_count", "unterminated_quote", "invalid_utf8", "type", "required_empty",
                                          "date_empty", "date_unparseable", "date_out_of_range"};
  for (auto& f : report.findings) {
    if (f.severity != Severity::error) continue;
    for (const char* check : kRowLevel) {
      if (f.check == check) {
        f.severity = Severity::warning;
        f.message += " (set aside in the reject file)";
        break;
      }
    }
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
  Finding bad{"day_anomalies", low_days_fail ? Severity::error : Severity::warning, "", 0, {}, {}};
  Finding unusual{"unusual_days", Severity::warning, "", 0, {}, {}};
  for (const auto& a : s.anomalies) {
    const bool far_below = a.kind == DayAnomalyKind::severely_low || a.kind == DayAnomalyKind::outlier_low;
    Finding& f = far_below ? bad : unusual;
    ++f.count;
    f.details.push_back(fmt::format("{}: {} rows, {:.0f}% of the mean {:.0f}: {}", format_iso(a.day), grouped(a.rows),
                                    a.percent_of_mean, s.mean, describe(a.kind)));
  }
  const std::string stats = fmt::format("mean {:.0f} rows/day, IQR {:.0f}..{:.0f}", s.mean, s.q1, s.q3);
  std::vector<Finding> out;
  if (bad.count) {
    bad.message = fmt::format("{} day{} with far fewer rows than the others ({}){}", bad.count, bad.count == 1 ? "" : "s",
                              stats, low_days_fail ? "" : "; the table's low_days: warn makes this a warning");
    out.push_back(std::move(bad));
  }
  if (unusual.count) {
    unusual.message = fmt::format("{} day{} with unusual row counts ({})", unusual.count, unusual.count == 1 ? "" : "s", stats);
    out.push_back(std::move(unusual));
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
  r.rows_by_field_count = total_.rows_by_field_count;
  if (rows > total_.wrong_field_count.count()) r.rows_by_field_count[n] = rows - total_.wrong_field_count.count();
  if (!total_.wrong_field_count.empty()) {
    Finding f = from_list("column_count",
        fmt::format("{} row{} with a number of fields other than {}", total_.wrong_field_count.count(),
                    total_.wrong_field_count.count() == 1 ? "" : "s", n),
        total_.wrong_field_count);
    for (const auto& [fields, count] : total_.rows_by_field_count)
      f.details.push_back(fmt::format("{} row{} with {} field{}", count, count == 1 ? "" : "s", fields, fields == 1 ? "" : "s"));
    r.findings.push_back(std::move(f));
  }
  if (!total_.unterminated_quote.empty())
    r.findings.push_back(from_list("unterminated_quote", "a quoted field is never closed",
                                   total_.unterminated_quote));
  if (!total_.stray_quote.empty()) {
    Finding f = from_list("stray_quote",
        fmt::format("{} field{} with a quote that RFC 4180 does not allow there, read as text", total_.stray_quote.count(),
                    total_.stray_quote.count() == 1 ? "" : "s"),
        total_.stray_quote);
    f.severity = Severity::warning;
    f.details.push_back("A quote inside an unquoted field is kept as text, and so is text after a closing quote, as "
                        "PostgreSQL and Python's csv module read them. If the file escapes quotes with a backslash "
                        "(\\\"), these values are not what was written: the producer must double them (\"\").");
    r.findings.push_back(std::move(f));
  }
  if (!total_.invalid_utf8.empty()) {
    Finding f = from_list("invalid_utf8",
                          fmt::format("{} row{} with bytes that are not valid UTF-8 (or a NUL byte)", total_.invalid_utf8.count(),
                                      total_.invalid_utf8.count() == 1 ? "" : "s"),
                          total_.invalid_utf8);
    f.details.push_back("The examples show each such byte as \\xHH. If the file is latin-1 (ISO-8859-1) or Windows-1252 "
                        "(\"ANSI\"), set encoding: latin-1 (or windows-1252) for the table.");
    r.findings.push_back(std::move(f));
  }
  if (!total_.bad_value.empty())
    r.findings.push_back(from_list("type",
        fmt::format("{} value{} that the column's type does not accept", total_.bad_value.count(),
                    total_.bad_value.count() == 1 ? "" : "s"),
        total_.bad_value));
  if (!total_.missing_required.empty())
    r.findings.push_back(from_list("required_empty",
        fmt::format("{} empty value{} in required columns", total_.missing_required.count(),
                    total_.missing_required.count() == 1 ? "" : "s"),
        total_.missing_required));

  if (settings_.date_field >= 0 && settings_.check_dates) {
    const std::string& col = settings_.column_names[static_cast<size_t>(settings_.date_field)];
    if (!total_.empty_date.empty())
      r.findings.push_back(from_list("date_empty",
          fmt::format("{} row{} with no value in date column {}", total_.empty_date.count(),
                      total_.empty_date.count() == 1 ? "" : "s", col),
          total_.empty_date));
    if (!total_.bad_date.empty()) {
      const std::string forms = settings_.date_parser.format().empty()
                                    ? "YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY"
                                    : "the configured format " + settings_.date_parser.format();
      r.findings.push_back(from_list("date_unparseable",
          fmt::format("{} row{} with a value in {} that is not a valid date ({})", total_.bad_date.count(),
                      total_.bad_date.count() == 1 ? "" : "s", col, forms),
          total_.bad_date));
    }
    if (!total_.out_of_range.empty() && r.expected_range)
      r.findings.push_back(from_list("date_out_of_range",
          fmt::format("{} row{} dated outside the expected range {}", total_.out_of_range.count(),
                      total_.out_of_range.count() == 1 ? "" : "s", r.expected_range->str()),
          total_.out_of_range));

    // Completeness: every day of the expected range (or of min..max when none is known) has rows.
    std::optional<DateRange> span = r.expected_range ? r.expected_range : r.found_range;
    if (span) {
      std::vector<DayNumber> missing;
      for (DayNumber d = span->first; d <= span->last; ++d)
        if (!r.rows_per_day.count(d)) missing.push_back(d);
      if (!missing.empty()) {
        Finding f;
        f.check = "missing_days";
        f.count = missing.size();
        if (static_cast<std::int64_t>(missing.size()) == span->days())
          f.message = fmt::format("no rows at all are dated in the expected range {} ({} days)",
                                  span->str(), missing.size());
        else
          f.message = fmt::format("{} day{} of {} have no rows", missing.size(),
                                  missing.size() == 1 ? "" : "s", span->str());
        f.details = day_ranges(missing);
        r.findings.push_back(std::move(f));
      }
      if (const auto stats = day_statistics(r.rows_per_day, *span))
        for (auto& f : day_anomaly_findings(*stats, settings_.low_days_fail)) r.findings.push_back(std::move(f));
    }
  }
  return r;
}

}  // namespace sluice
