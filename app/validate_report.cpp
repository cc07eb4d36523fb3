#include "app/validate_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/output.h"
#include "core/text_format.h"
#include "output/findings_output.h"

namespace sluice {
namespace {

std::string verdict(const TableValidation& v) { return v.passed() ? "PASS" : "FAIL"; }

std::uint64_t failing_anomalies(const TableValidation& v) {
  std::uint64_t n = 0;
  if (v.day_stats)
    for (const auto& a : v.day_stats->anomalies)
      n += a.kind == DayAnomalyKind::severely_low || a.kind == DayAnomalyKind::outlier_low;
  return n;
}

std::uint64_t total_nulls(const TableValidation& v) {
  std::uint64_t n = 0;
  for (const auto& c : v.nulls) n += c.nulls;
  return n;
}

std::string days_column(const TableValidation& v) {
  if (!v.checked) return "-";
  return fmt::format("{}/{}", v.rows.days.size(), v.checked->days());
}

}  // namespace

std::string render_validate_text(const ValidateSummary& s) {
  std::size_t failed = 0;
  for (const auto& t : s.tables) failed += !t.passed();
  std::string out = fmt::format("Validated {} table{} over {} (job {}): {} passed, {} failed.\n\n", s.tables.size(),
                                s.tables.size() == 1 ? "" : "s", s.scope.label, s.job_id, s.tables.size() - failed, failed);
  std::vector<std::vector<std::string>> rows{{"TABLE", "ROWS", "DAYS", "VERDICT", "REASONS"}};
  for (const auto& t : s.tables) {
    const auto reasons = t.reasons();
    rows.push_back({t.target, grouped(t.rows.rows), days_column(t), verdict(t),
                    reasons.empty() ? "" : reasons.front() + (reasons.size() > 1 ? fmt::format(" (+{} more)", reasons.size() - 1) : "")});
  }
  out += aligned_table(rows, {1, 2});
  for (const auto& t : s.tables) {
    out += fmt::format("\n{} ({}, connection {}): {}\n", t.target, t.table, t.connection, verdict(t));
    if (t.exists) {
      std::string range = t.requested ? t.requested->str() : "all data";
      const auto found = t.rows.found();
      range += found ? fmt::format("; found {} ({} day{} with rows)", found->str(), t.rows.days.size(),
                                   t.rows.days.size() == 1 ? "" : "s")
                     : "; no dated rows";
      out += "  days     " + range + "\n";
      out += fmt::format("  rows     {}", grouped(t.rows.rows));
      if (t.day_stats) out += fmt::format(" (mean {:.0f}/day, median {:.0f})", t.day_stats->mean, t.day_stats->median);
      out += "\n";
      if (t.history)
        out += fmt::format("  history  {} rows by the load history ({} load{}, {} delete{}) over {}\n",
                           t.history->expected_rows < 0 ? std::to_string(t.history->expected_rows)
                                                        : grouped(static_cast<std::uint64_t>(t.history->expected_rows)), t.history->loads, t.history->loads == 1 ? "" : "s", t.history->deletes,
                           t.history->deletes == 1 ? "" : "s", t.history->range ? t.history->range->str() : "the whole table");
      if (t.duplicates && t.duplicates->keys == 0)
        out += fmt::format("  keys     ({}) unique\n", fmt::join(t.duplicates->columns, ", "));
    }
    out += t.findings.empty() ? "  every check passed\n" : render_findings("", t.findings, "  ");
  }
  return out;
}

nlohmann::json table_validation_json(const TableValidation& v) {
  using nlohmann::json;
  json j{{"table", v.table}, {"target", v.target}, {"connection", v.connection}, {"exists", v.exists},
         {"status", verdict(v)}, {"reasons", v.reasons()}};
  j["requested_from"] = day_or_null(v.requested, true);
  j["requested_to"] = day_or_null(v.requested, false);
  j["checked_from"] = day_or_null(v.checked, true);
  j["checked_to"] = day_or_null(v.checked, false);
  j["found_from"] = day_or_null(v.rows.found(), true);
  j["found_to"] = day_or_null(v.rows.found(), false);
  j["rows"] = v.rows.rows;
  j["days_expected"] = v.checked ? v.checked->days() : 0;
  j["days_with_rows"] = v.rows.days.size();
  j["avg_rows_per_day"] = v.rows.days.empty() ? 0.0 : static_cast<double>(v.rows.rows - v.rows.null_dates - v.rows.bad_dates) /
                                                         static_cast<double>(v.rows.days.size());
  json per_day = json::object();
  for (const auto& [d, n] : v.rows.days) per_day[format_iso(d)] = n;
  j["rows_per_day"] = per_day;
  json missing = json::array();
  for (DayNumber d : v.missing_days) missing.push_back(format_iso(d));
  j["missing_days"] = missing;
  json gaps = json::array();
  for (const auto& g : v.gaps)
    gaps.push_back({{"from", format_iso(g.days.first)}, {"to", format_iso(g.days.last)}, {"days", g.days.days()}, {"position", g.position}});
  j["gaps"] = gaps;
  json anomalies = json::array();
  if (v.day_stats) {
    for (const auto& a : v.day_stats->anomalies)
      anomalies.push_back({{"date", format_iso(a.day)}, {"rows", a.rows}, {"percent_of_mean", a.percent_of_mean},
                           {"severity", to_string(a.kind)}});
    j["day_stats"] = {{"mean", v.day_stats->mean}, {"q1", v.day_stats->q1}, {"median", v.day_stats->median},
                      {"q3", v.day_stats->q3}, {"low_fence", v.day_stats->low_fence}, {"high_fence", v.day_stats->high_fence}};
  } else {
    j["day_stats"] = nullptr;
  }
  j["anomalies"] = anomalies;
  j["null_dates"] = v.rows.null_dates;
  j["bad_dates"] = v.rows.bad_dates;
  if (v.duplicates) {
    json examples = json::array();
    for (const auto& e : v.duplicates->examples) {
      json key = json::object();
      for (std::size_t i = 0; i < v.duplicates->columns.size() && i < e.key.size(); ++i)
        key[v.duplicates->columns[i]] = e.key[i] ? json(*e.key[i]) : json(nullptr);
      examples.push_back({{"key", key}, {"rows", e.rows}});
    }
    j["duplicates"] = {{"columns", v.duplicates->columns}, {"keys", v.duplicates->keys},
                       {"excess_rows", v.duplicates->excess_rows}, {"max_rows_per_key", v.duplicates->max_rows_per_key},
                       {"examples", examples}};
  } else {
    j["duplicates"] = nullptr;
  }
  json nulls = json::object();
  for (const auto& c : v.nulls) nulls[c.column] = c.nulls;
  j["required_nulls"] = nulls;
  if (v.history)
    j["history"] = {{"from", day_or_null(v.history->range, true)}, {"to", day_or_null(v.history->range, false)},
                    {"expected_rows", v.history->expected_rows}, {"actual_rows", v.history->actual_rows},
                    {"loads", v.history->loads}, {"deletes", v.history->deletes}};
  else
    j["history"] = nullptr;
  j["findings"] = findings_json(v.findings);
  return j;
}

nlohmann::json render_validate_json(const ValidateSummary& s) {
  nlohmann::json j{{"job_id", s.job_id}, {"passed", s.passed()}, {"exit_code", static_cast<int>(s.exit_code())},
                   {"seconds", s.seconds}};
  j["scope"] = {{"label", s.scope.label}, {"from", day_or_null(s.scope.range, true)}, {"to", day_or_null(s.scope.range, false)}};
  j["tables"] = nlohmann::json::array();
  for (const auto& t : s.tables) j["tables"].push_back(table_validation_json(t));
  return j;
}

std::string render_validate_csv(const ValidateSummary& s) {
  std::string out = csv_row({"table", "target", "connection", "status", "rows", "checked_from", "checked_to", "days_expected",
                             "days_with_rows", "missing_days", "gaps", "anomalous_days", "duplicate_keys",
                             "duplicate_excess_rows", "required_nulls", "history_expected_rows", "history_actual_rows", "reasons"});
  for (const auto& t : s.tables) {
    std::string reasons;
    for (const auto& r : t.reasons()) reasons += (reasons.empty() ? "" : "; ") + r;
    out += csv_row({t.table, t.target, t.connection, verdict(t), std::to_string(t.rows.rows),
                    t.checked ? format_iso(t.checked->first) : "", t.checked ? format_iso(t.checked->last) : "",
                    std::to_string(t.checked ? t.checked->days() : 0), std::to_string(t.rows.days.size()),
                    std::to_string(t.missing_days.size()), std::to_string(t.gaps.size()), std::to_string(failing_anomalies(t)),
                    std::to_string(t.duplicates ? t.duplicates->keys : 0), std::to_string(t.duplicates ? t.duplicates->excess_rows : 0),
                    std::to_string(total_nulls(t)), t.history ? std::to_string(t.history->expected_rows) : "",
                    t.history ? std::to_string(t.history->actual_rows) : "", reasons});
  }
  return out;
}

}  // namespace sluice
