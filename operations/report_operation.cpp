#include "operations/report_operation.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "core/dates.h"
#include "operations/table_sql.h"

namespace sluice {

std::uint64_t ReportSummary::total_rows() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.rows;
  return n;
}

std::size_t ReportSummary::count(const std::string& status) const {
  return static_cast<std::size_t>(std::count_if(tables.begin(), tables.end(), [&](const TableReport& t) { return t.status == status; }));
}

std::vector<const TableReport*> ReportSummary::largest(std::size_t n) const {
  std::vector<const TableReport*> out;
  for (const auto& t : tables)
    if (t.status == "ok") out.push_back(&t);
  std::stable_sort(out.begin(), out.end(), [](const TableReport* a, const TableReport* b) { return a->rows > b->rows; });
  if (out.size() > n) out.resize(n);
  return out;
}

namespace {

std::string utc_now() { return format_time("%Y-%m-%dT%H:%M:%SZ", TimeZone::utc); }

// Per warehouse, what is looked up once: does it keep a load history.
struct Open {
  std::unique_ptr<Warehouse> w;
  std::optional<bool> has_history;
};

void fill(TableReport& r, Warehouse& w, Open& o, const TableSpec& spec) {
  const TableSql t(w.dialect(), spec, w.schema());
  r.target = t.display_name();
  const auto columns = w.columns(w.schema(), spec.table);
  if (columns.empty()) {
    r.status = "missing";
    return;
  }
  r.columns = columns.size();
  if (t.has_date()) r.date_column = w.dialect().fold(t.date_column().name);
  const RowsByDay rows = t.rows_by_day(w, std::nullopt);
  r.rows = rows.rows;
  r.days = rows.found();
  r.days_with_rows = rows.days.size();
  r.null_dates = rows.null_dates;
  r.bad_dates = rows.bad_dates;
  for (const auto& [d, n] : rows.days) r.rows_per_month[format_iso(d).substr(0, 7)] += n;
  r.status = r.rows ? "ok" : "empty";
  LoadHistory history(w);
  if (!o.has_history) o.has_history = history.exists();
  if (*o.has_history) r.last_load = history.last_load(spec.table);
  r.validation = last_validation(w, spec.table);
}

}  // namespace

ReportSummary ReportOperation::run(const std::vector<const Config*>& configs, const std::vector<std::string>& tables) {
  const auto started = std::chrono::steady_clock::now();
  ReportSummary s;
  s.generated_at = utc_now();
  for (const auto& name : tables) {
    const bool known = std::any_of(configs.begin(), configs.end(), [&](const Config* c) { return c->find_table(name); });
    if (!known) throw usage_error(fmt::format("table {} is in none of the configs", name), "", "Check the name, or leave out --table.");
  }
  for (const Config* config : configs) {
    s.configs.push_back(config->path);
    std::map<std::string, Open> open;  // by connection name, within this config
    for (const auto& spec : config->tables) {
      if (!tables.empty() && std::none_of(tables.begin(), tables.end(), [&](const std::string& n) { return config->find_table(n) == &spec; }))
        continue;
      const ConnectionSpec& conn = config->connection_for(spec);
      TableReport r;
      r.config = config->path;
      r.table = spec.table;
      r.connection = conn.name;
      r.target = spec.table;
      progress_.begin("report", spec.table, 0);
      try {
        Open& o = open[conn.name];
        if (!o.w) o.w = open_(*config, conn);
        fill(r, *o.w, o, spec);
      } catch (const Error& e) {
        // One table the warehouse cannot read does not hide the others.
        r.status = "error";
        r.error = e.primary() + (e.detail().empty() ? "" : ": " + e.detail());
      }
      progress_.end(r.status != "error", r.status);
      s.tables.push_back(std::move(r));
    }
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return s;
}

}  // namespace sluice
