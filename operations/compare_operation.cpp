#include "operations/compare_operation.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "loaders/pipeline.h"
#include "loaders/scan/file_syntax.h"
#include "operations/file_selection.h"
#include "operations/table_qc.h"
#include "operations/table_sql.h"

namespace sluice {

std::vector<DayComparison> CompareResult::differences() const {
  std::vector<DayComparison> out;
  for (const auto& d : days)
    if (d.file_rows != d.table_rows) out.push_back(d);
  return out;
}

bool CompareResult::same() const {
  return table_exists && file_rows_in_range == table_rows && differences().empty();
}

CompareOperation::CompareOperation(const Config& config, WarehouseOpener open, ProgressSink& progress, const Cancellation& cancel)
    : config_(config), open_(std::move(open)), progress_(progress), cancel_(cancel) {}

CompareResult CompareOperation::run(const CompareRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  const auto selected = select_files(config_, {req.file.string()}, req.table);
  const SelectedFile& file = selected.at(0);
  const TableSpec& spec = *file.table;
  CompareResult r;
  r.file = file.path;
  r.table = spec.table;

  // The file: its rows per day, with the load's reader and date parsing; no value checks.
  QcSettings qc = table_qc_settings(spec, file.expected_range, false);
  qc.check_dates = true;
  PipelineOptions popts;
  popts.workers = req.workers;
  popts.phase = "compare";
  const PipelineResult scan = run_pipeline(file.path, FileSyntax::for_feed(spec.feed, file.path.filename().string()), std::move(qc),
                                           popts, nullptr, progress_, cancel_);
  r.file_rows = scan.rows;

  const ConnectionSpec& conn = config_.connection_for(spec);
  r.connection = conn.name;
  auto w = open_(conn);
  const TableSql t(w->dialect(), spec, w->schema());
  r.target = t.display_name();
  r.table_exists = w->table_exists(w->schema(), spec.table);

  if (!t.has_date()) {
    r.by_day = false;
    r.file_rows_in_range = scan.rows;
    if (r.table_exists) r.table_rows = t.rows_by_day(*w, std::nullopt).rows;
  } else {
    r.range = file.expected_range ? file.expected_range : scan.qc.found_range;
    std::uint64_t dated = 0;
    std::map<DayNumber, DayComparison> days;
    for (const auto& [d, n] : scan.qc.rows_per_day) {
      dated += n;
      if (!r.range || !r.range->contains(d)) {
        r.file_rows_outside_range += n;
        continue;
      }
      r.file_rows_in_range += n;
      days[d].file_rows = n;
    }
    r.file_rows_undated = scan.rows - dated;
    if (r.range && r.table_exists) {
      progress_.begin("compare", r.target, 0);
      const RowsByDay table_days = t.rows_by_day(*w, r.range);
      progress_.end(true, "counted");
      r.table_rows = table_days.rows;
      for (const auto& [d, n] : table_days.days) days[d].table_rows = n;
    }
    for (auto& [d, c] : days) {
      c.day = d;
      r.days.push_back(c);
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace sluice
