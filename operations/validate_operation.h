// `sluice validate`: proves what a table holds for a month, a range or all data, with SQL the
// dialect spells (one aggregated query per check, values bound):
//   date completeness (every day of the range has rows, leading and trailing days and a wholly
//   empty range included), gaps (runs of missing days), per-day row-count anomalies (the file QC's
//   rules: under 10% of the mean, below Q1 - 1.5 IQR, under 50%, above Q3 + 1.5 IQR), duplicate
//   keys (the table's duplicate_key), NULLs in required columns, and the rows now against the rows
//   the load history says were loaded. PASS or FAIL per table, with the reasons.
//
// check_table() runs the checks on any relation with the table's columns: the load's
// `--qc warehouse` runs it on its staging table before publishing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/error.h"
#include "core/job_log.h"
#include "core/progress.h"
#include "operations/table_sql.h"
#include "operations/warehouse_session.h"
#include "validators/file_qc/file_qc.h"

namespace sluice {

struct DuplicateKeyExample {
  std::vector<SqlValue> key;   // in the order of DuplicateKeys::columns
  std::uint64_t rows = 0;
};

struct DuplicateKeys {
  std::vector<std::string> columns;   // folded names
  std::uint64_t keys = 0;             // key values that occur more than once
  std::uint64_t excess_rows = 0;      // rows beyond the first of each such key
  std::uint64_t max_rows_per_key = 0;
  std::vector<DuplicateKeyExample> examples;  // most repeated first
};

struct NullCount {
  std::string column;   // folded name
  std::uint64_t nulls = 0;
};

// A run of days with no rows.
struct Gap {
  DateRange days;
  std::string position;  // "leading", "interior", "trailing" or "whole"
};

struct HistoryComparison {
  std::optional<DateRange> range;    // the days compared (widened to whole loads); nullopt = the whole table
  std::int64_t expected_rows = 0;    // loads - deletes, by the history
  std::int64_t actual_rows = 0;      // what the table holds over the same days
  int loads = 0, deletes = 0;
};

struct TableValidation {
  std::string table;        // as configured
  std::string target;       // schema.table as the warehouse names it
  std::string connection;
  bool exists = false;
  std::optional<DateRange> requested;   // nullopt: all data
  std::optional<DateRange> checked;     // the days checked: requested, else min..max found
  RowsByDay rows;
  std::vector<DayNumber> missing_days;
  std::vector<Gap> gaps;
  std::optional<DayStatistics> day_stats;
  std::optional<DuplicateKeys> duplicates;   // when the table has a duplicate_key
  std::vector<NullCount> nulls;              // required columns
  std::optional<HistoryComparison> history;  // when the history covers the days
  std::vector<Finding> findings;             // errors fail the table; warnings inform

  bool passed() const;
  std::vector<std::string> reasons() const;  // the error findings' messages
};

struct WarehouseChecks {
  bool duplicates = true;
  bool nulls = true;
  std::size_t examples = 5;   // duplicate keys shown
};

// The checks over `table`'s relation (which must exist with the configured columns) for `range`
// (nullopt: all of it). Everything but the history comparison.
TableValidation check_table(Warehouse& w, const TableSql& table, const std::optional<DateRange>& range,
                            const WarehouseChecks& checks = {});

struct ValidateRequest {
  std::vector<std::string> tables;   // empty: every configured table
  DateScope scope;
  WarehouseChecks checks;
  bool record = true;                // write the verdict to sluice_validation_history
};

struct ValidateSummary {
  std::int64_t job_id = 0;
  DateScope scope;
  std::vector<TableValidation> tables;
  double seconds = 0;
  bool passed() const;
  ExitCode exit_code() const { return passed() ? ExitCode::ok : ExitCode::qc_failed; }
};

class ValidateOperation {
 public:
  ValidateOperation(const Config& config, WarehouseOpener open, JobLog& jobs, ProgressSink& progress);
  ValidateSummary run(const ValidateRequest& request);

 private:
  const Config& config_;
  WarehousePool pool_;
  JobLog& jobs_;
  ProgressSink& progress_;
};

}  // namespace sluice
