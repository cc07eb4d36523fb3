#include "operations/validate_operation.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"
#include "operations/job_json.h"
#include "warehouse/load_history.h"

namespace sluice {
namespace {

std::string key_text(const DuplicateKeys& d, const DuplicateKeyExample& e) {
  std::string out;
  for (std::size_t i = 0; i < d.columns.size() && i < e.key.size(); ++i)
    out += fmt::format("{}{}={}", i ? ", " : "", d.columns[i], e.key[i] ? *e.key[i] : "NULL");
  return out;
}

// Completeness over `checked`: the missing days and the runs they form.
void completeness(TableValidation& v, const TableSql& t) {
  if (!v.checked) return;
  const DateRange span = *v.checked;
  for (DayNumber d = span.first; d <= span.last; ++d)
    if (!v.rows.days.count(d)) v.missing_days.push_back(d);
  for (std::size_t i = 0; i < v.missing_days.size();) {
    std::size_t j = i;
    while (j + 1 < v.missing_days.size() && v.missing_days[j + 1] == v.missing_days[j] + 1) ++j;
    Gap g{{v.missing_days[i], v.missing_days[j]}, "interior"};
    const bool first = g.days.first == span.first, last = g.days.last == span.last;
    g.position = first && last ? "whole" : first ? "leading" : last ? "trailing" : "interior";
    v.gaps.push_back(std::move(g));
    i = j + 1;
  }
  if (v.missing_days.empty()) return;
  const std::string col = t.display_column(t.date_column().name);
  // The table's words say more than the file's: the column the days are read by, and the gaps.
  Finding f = make_finding_saying(
      Check::missing_days, v.missing_days.size(),
      static_cast<std::int64_t>(v.missing_days.size()) == span.days()
          ? fmt::format("no rows at all in {} ({} day{}, by {})", span.str(), span.days(),
                        plural_s(static_cast<std::uint64_t>(span.days())), col)
          : fmt::format("{} day{} of {} have no rows (by {}), in {} gap{}", v.missing_days.size(),
                        plural_s(v.missing_days.size()), span.str(), col, v.gaps.size(), plural_s(v.gaps.size())));
  for (const auto& g : v.gaps)
    f.details.push_back(g.days.days() == 1 ? fmt::format("{} ({})", format_iso(g.days.first), g.position)
                                           : fmt::format("{}..{} ({} days, {})", format_iso(g.days.first),
                                                         format_iso(g.days.last), g.days.days(), g.position));
  v.findings.push_back(std::move(f));
}

void anomalies(TableValidation& v, const TableSpec& spec) {
  if (!v.checked) return;
  v.day_stats = day_statistics(v.rows.days, *v.checked);
  if (!v.day_stats) return;
  for (auto& f : day_anomaly_findings(*v.day_stats, spec.low_days_fail)) v.findings.push_back(std::move(f));
}

void duplicate_keys(TableValidation& v, Warehouse& w, const TableSql& t, const std::optional<DateRange>& range,
                    std::size_t examples) {
  const auto& keys = t.spec().duplicate_key;
  if (keys.empty()) return;
  DuplicateKeys d;
  std::string cols;
  for (const auto& k : keys) {
    d.columns.push_back(w.dialect().fold(k));
    cols += (cols.empty() ? "" : ", ") + t.column(k);
  }
  SqlParams p(w.dialect());
  const std::string where = range ? " WHERE " + t.in_range(*range, v.rows, p) : "";
  const std::string groups =
      fmt::format("SELECT {cols}, count(*) AS n FROM {rel}{where} GROUP BY {cols} HAVING count(*) > 1", fmt::arg("cols", cols),
                  fmt::arg("rel", t.relation()), fmt::arg("where", where));
  const SqlResult totals = w.query(fmt::format("SELECT count(*), sum(n), max(n) FROM ({}) dup", groups), p.list());
  d.keys = static_cast<std::uint64_t>(totals.integer(0, 0));
  d.excess_rows = static_cast<std::uint64_t>(totals.integer(0, 1)) - d.keys;
  d.max_rows_per_key = static_cast<std::uint64_t>(totals.integer(0, 2));
  if (d.keys && examples) {
    const SqlResult top = w.query(fmt::format("{} ORDER BY n DESC, {} LIMIT {}", groups, cols, examples), p.list());
    for (std::size_t i = 0; i < top.size(); ++i) {
      DuplicateKeyExample e;
      for (std::size_t c = 0; c < keys.size(); ++c) e.key.push_back(top.rows[i][c]);
      e.rows = static_cast<std::uint64_t>(top.integer(i, keys.size()));
      d.examples.push_back(std::move(e));
    }
  }
  if (d.keys) {
    Finding f = make_finding(Check::duplicate_keys, d.keys, fmt::arg("keys", grouped(d.keys)),
                             fmt::arg("columns", fmt::format("{}", fmt::join(d.columns, ", "))),
                             fmt::arg("table", t.display_name()), fmt::arg("excess", grouped(d.excess_rows)),
                             fmt::arg("excess_s", plural_s(d.excess_rows)), fmt::arg("max", grouped(d.max_rows_per_key)));
    for (const auto& e : d.examples) f.details.push_back(fmt::format("{}: {} rows", key_text(d, e), grouped(e.rows)));
    if (d.keys > d.examples.size()) f.details.push_back(fmt::format("... and {} more keys", grouped(d.keys - d.examples.size())));
    v.findings.push_back(std::move(f));
  }
  v.duplicates = std::move(d);
}

void required_nulls(TableValidation& v, Warehouse& w, const TableSql& t, const std::optional<DateRange>& range) {
  std::vector<const ColumnSpec*> required;
  for (const auto& c : t.spec().columns)
    if (c.required) required.push_back(&c);
  if (required.empty()) return;
  std::string exprs;
  for (const auto* c : required) exprs += fmt::format("{}count(*) - count({})", exprs.empty() ? "" : ", ", t.column(c->name));
  SqlParams p(w.dialect());
  const std::string where = range ? " WHERE " + t.in_range(*range, v.rows, p) : "";
  const SqlResult r = w.query(fmt::format("SELECT {} FROM {}{}", exprs, t.relation(), where), p.list());
  std::uint64_t nulls = 0, columns_hit = 0;
  std::vector<std::string> per_column;
  for (std::size_t i = 0; i < required.size(); ++i) {
    const auto n = static_cast<std::uint64_t>(r.integer(0, i));
    v.nulls.push_back({w.dialect().fold(required[i]->name), n});
    if (!n) continue;
    nulls += n;
    ++columns_hit;
    per_column.push_back(fmt::format("{}: {} NULL{}", t.display_column(required[i]->name), grouped(n), plural_s(n)));
  }
  if (!nulls) return;
  Finding f = make_finding(Check::required_nulls, nulls, fmt::arg("nulls", grouped(nulls)), fmt::arg("columns", columns_hit),
                           fmt::arg("columns_s", plural_s(columns_hit)));
  f.details.insert(f.details.end(), per_column.begin(), per_column.end());
  v.findings.push_back(std::move(f));
}

void date_values(TableValidation& v, const TableSql& t) {
  if (!t.has_date()) return;
  const std::string col = t.display_column(t.date_column().name);
  if (v.rows.bad_dates) {
    // Values in the table have no line to name and the date_format is the table's: its own words.
    Finding f = make_finding_saying(Check::date_unparseable, v.rows.bad_dates,
                                    fmt::format("{} row{} whose {} is not a valid date", grouped(v.rows.bad_dates),
                                                plural_s(v.rows.bad_dates), col));
    for (const auto& e : v.rows.bad_examples) f.details.push_back(fmt::format("\"{}\"", e));
    v.findings.push_back(std::move(f));
  }
  // A required date column's NULLs are the required-column check's; otherwise they only mean the
  // rows are in no day.
  if (v.rows.null_dates && !t.date_column().required)
    v.findings.push_back(make_finding(Check::date_null, v.rows.null_dates, fmt::arg("rows", grouped(v.rows.null_dates)),
                                      fmt::arg("column", col)));
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

bool TableValidation::passed() const {
  return std::none_of(findings.begin(), findings.end(), [](const Finding& f) { return f.severity == Severity::error; });
}

std::vector<std::string> TableValidation::reasons() const {
  std::vector<std::string> out;
  for (const auto& f : findings)
    if (f.severity == Severity::error) out.push_back(f.message);
  return out;
}

bool ValidateSummary::passed() const {
  return std::all_of(tables.begin(), tables.end(), [](const TableValidation& t) { return t.passed(); });
}

TableValidation check_table(Warehouse& w, const TableSql& t, const std::optional<DateRange>& range,
                            const WarehouseChecks& checks) {
  TableValidation v;
  v.table = t.spec().table;
  v.target = t.display_name();
  v.exists = true;
  v.requested = range;
  v.rows = t.rows_by_day(w, range);
  if (t.has_date()) {
    v.checked = range ? range : v.rows.found();
    if (!v.checked) {
      v.findings.push_back(
          make_finding_saying(Check::missing_days, 0, fmt::format("{} has no dated rows at all", t.display_name())));
    }
    completeness(v, t);
    anomalies(v, t.spec());
    date_values(v, t);
  } else {
    // Nothing to check by day: say so, rather than let a PASS suggest the month was checked.
    v.findings.push_back(make_finding(Check::date_checks_skipped, 0, fmt::arg("table", t.display_name()),
                                      fmt::arg("range", range ? ", the range " + range->str() : std::string())));
    if (v.rows.rows == 0) v.findings.push_back(make_finding(Check::empty, 0, fmt::arg("table", t.display_name())));
  }
  if (checks.duplicates) duplicate_keys(v, w, t, range, checks.examples);
  if (checks.nulls) required_nulls(v, w, t, range);
  return v;
}

ValidateOperation::ValidateOperation(const Config& config, WarehouseOpener open, JobLog& jobs, ProgressSink& progress)
    : config_(config), pool_(std::move(open)), jobs_(jobs), progress_(progress) {}

ValidateSummary ValidateOperation::run(const ValidateRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  const auto tables = select_tables(config_, req.tables);
  ValidateSummary summary;
  summary.scope = req.scope;
  summary.job_id = jobs_.begin_job("validate", fmt::format("{} table(s), {}", tables.size(), req.scope.label),
                                   job_json({{"scope", req.scope.label}, {"tables", tables.size()}}));
  try {
    for (const TableSpec* spec : tables) {
      const ConnectionSpec& conn = config_.connection_for(*spec);
      Warehouse& w = pool_.get(conn);
      const TableSql t(w.dialect(), *spec, w.schema());
      progress_.begin("validate", t.display_name(), 0);
      TableValidation v;
      const auto columns = w.columns(w.schema(), spec->table);
      if (columns.empty()) {
        v.table = spec->table;
        v.target = t.display_name();
        v.requested = req.scope.range;
        v.findings.push_back(make_finding(Check::table_missing, 0, fmt::arg("table", t.display_name())));
        v.findings.back().details.push_back(fmt::format("the config entry at {} names it", spec->position.str()));
      } else {
        std::vector<std::string> missing;
        for (const auto& c : spec->columns)
          if (std::find(columns.begin(), columns.end(), w.dialect().fold(c.name)) == columns.end())
            missing.push_back(t.display_column(c.name));
        if (!missing.empty()) {
          v.table = spec->table;
          v.target = t.display_name();
          v.exists = true;
          v.requested = req.scope.range;
          Finding f = make_finding(Check::columns_missing, missing.size(), fmt::arg("table", t.display_name()));
          for (const auto& m : missing) f.details.push_back(m + " is in the config (" + spec->position.str() + ") but not in the table");
          v.findings.push_back(std::move(f));
        } else {
          v = check_table(w, t, req.scope.range, req.checks);
          LoadHistory history(w);
          if (history.exists()) {
            if (const auto e = expected_by_history(history.current(spec->table), req.scope.range)) {
              HistoryComparison h;
              h.range = e->range;
              h.expected_rows = e->expected_rows;
              h.loads = e->loads;
              h.deletes = e->deletes;
              const bool same_days = (!e->range && !req.scope.range) || (e->range && req.scope.range &&
                                                                        e->range->first == req.scope.range->first &&
                                                                        e->range->last == req.scope.range->last);
              h.actual_rows = static_cast<std::int64_t>(same_days ? v.rows.rows : t.rows_by_day(w, e->range).rows);
              if (h.actual_rows != h.expected_rows) {
                Finding f = make_finding(
                    Check::history_mismatch, static_cast<std::uint64_t>(std::llabs(h.actual_rows - h.expected_rows)),
                    fmt::arg("table", t.display_name()),
                    fmt::arg("actual", grouped(static_cast<std::uint64_t>(std::max<std::int64_t>(h.actual_rows, 0)))),
                    fmt::arg("range", h.range ? h.range->str() : std::string("the whole table")),
                    fmt::arg("expected", h.expected_rows < 0 ? std::to_string(h.expected_rows)
                                                             : grouped(static_cast<std::uint64_t>(h.expected_rows))));
                f.details.push_back(fmt::format("{} load{} and {} delete{} recorded over those days", h.loads,
                                                plural_s(static_cast<std::uint64_t>(h.loads)), h.deletes,
                                                plural_s(static_cast<std::uint64_t>(h.deletes))));
                f.details.push_back("rows were added or removed outside sluice, or a load was cut short");
                v.findings.push_back(std::move(f));
              }
              v.history = h;
            }
          }
        }
      }
      v.connection = conn.name;
      if (req.record && v.exists) {
        ValidationRecord rec;
        rec.passed = v.passed();
        rec.range = req.scope.range;
        rec.rows = static_cast<std::int64_t>(v.rows.rows);
        for (const auto& r : v.reasons()) rec.reasons += (rec.reasons.empty() ? "" : "; ") + r;
        rec.job_id = summary.job_id;
        try {
          record_validation(w, spec->table, rec);
        } catch (const Error& e) {
          progress_.note(fmt::format("the verdict for {} was not recorded in {}: {}", t.display_name(),
                                     kValidationHistoryTable, e.primary()));
        }
      }
      progress_.end(v.passed(), v.passed() ? "PASS" : "FAIL");
      summary.tables.push_back(std::move(v));
    }
  } catch (...) {
    jobs_.finish_job(summary.job_id, JobStatus::failed, "{}", "validate aborted");
    throw;
  }
  summary.seconds = since(started);
  std::size_t failed = 0;
  for (const auto& t : summary.tables) failed += !t.passed();
  jobs_.finish_job(summary.job_id, failed ? JobStatus::failed : JobStatus::succeeded,
                   job_json({{"tables", summary.tables.size()}, {"failed", failed}}),
                   failed ? fmt::format("{} table(s) failed validation", failed) : "");
  return summary;
}

}  // namespace sluice
