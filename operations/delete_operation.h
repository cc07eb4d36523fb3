// `sluice delete`: removes a month or a date range from one or all configured tables, atomically,
// and keeps the rows to put back (see operations/trash.h). First a preview (rows in the range, the
// share of the table, rows per day) that touches nothing; the command shows it and asks for the
// typed confirmation; then execute() deletes in one transaction per connection, counting again
// inside it: when the count differs from the preview, nothing is deleted. The load history gets a
// 'delete' row per table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/job_log.h"
#include "core/progress.h"
#include "operations/warehouse_session.h"

namespace sluice {

struct DeleteRequest {
  std::vector<std::string> tables;   // empty: every configured table with a date_column
  DateScope scope;                   // a month or a range; never all data
};

struct TableDelete {
  const TableSpec* spec = nullptr;
  std::string table;                 // as configured
  std::string target;                // schema.table as the warehouse names it
  std::string connection;
  std::uint64_t table_rows = 0;      // the whole table
  std::uint64_t range_rows = 0;      // in the range (the preview)
  std::map<DayNumber, std::uint64_t> rows_per_day;
  std::uint64_t rows_deleted = 0;    // after execute()
  std::string backup;                // "sluice_trash.fact_lending__job12", or the Time Travel statement
  double share() const { return table_rows ? 100.0 * static_cast<double>(range_rows) / static_cast<double>(table_rows) : 0; }
};

struct DeleteSummary {
  std::int64_t job_id = 0;           // set by execute()
  DateScope scope;
  std::vector<TableDelete> tables;
  std::vector<std::string> skipped;  // configured tables left out, with the reason
  bool executed = false;             // the deletes were committed
  std::uint64_t range_rows() const;
  std::uint64_t rows_deleted() const;
};

// The typed confirmation of a delete: the table and the range exactly as shown (case included)
// ("FACT_LENDING 2024-01"), spaces collapsed. The command line and the menu ask for the same text.
std::string delete_confirmation_text(const std::string& table, const std::string& scope_label);
bool delete_confirmation_matches(const std::string& typed, const std::string& table, const std::string& scope_label);

class DeleteOperation {
 public:
  DeleteOperation(const Config& config, WarehouseOpener open, JobLog& jobs, ProgressSink& progress);
  // Counts only. Throws a usage error for a table that does not exist or has no date_column
  // (named with --table), or for no table at all.
  DeleteSummary preview(const DeleteRequest& request);
  // Deletes what `plan` previewed (tables with rows in the range) and records the job.
  void execute(DeleteSummary& plan);

 private:
  const Config& config_;
  WarehousePool pool_;
  JobLog& jobs_;
  ProgressSink& progress_;
};

}  // namespace sluice
