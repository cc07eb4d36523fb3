// `sluice compare FILE`: the rows per day of a file (one scan, the same reader and date parsing as
// the load) against the rows per day its table holds over the file's range (one aggregated query),
// and the days that differ. The range comes from the file name ({date_range} / {month}), else from
// the first and last day in the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/dates.h"
#include "core/progress.h"
#include "warehouse/warehouse.h"

namespace sluice {

struct DayComparison {
  DayNumber day = 0;
  std::uint64_t file_rows = 0, table_rows = 0;
  std::int64_t difference() const { return static_cast<std::int64_t>(table_rows) - static_cast<std::int64_t>(file_rows); }
};

struct CompareResult {
  std::filesystem::path file;
  std::string table, target, connection;
  bool table_exists = false;
  bool by_day = true;                        // false: the table has no date column, totals only
  std::optional<DateRange> range;            // the days compared; nullopt: no date column, totals only
  std::uint64_t file_rows = 0;               // every data row of the file
  std::uint64_t file_rows_in_range = 0;
  std::uint64_t file_rows_outside_range = 0; // dated, but outside the range
  std::uint64_t file_rows_undated = 0;       // empty or unparseable date
  std::uint64_t table_rows = 0;              // in the range (the whole table without a date column)
  std::vector<DayComparison> days;           // every day with rows on either side, by date
  std::vector<DayComparison> differences() const;
  bool same() const;
  double seconds = 0;
};

struct CompareRequest {
  std::filesystem::path file;
  std::string table;    // empty: matched by the tables' file_pattern
  int workers = 0;
};

class CompareOperation {
 public:
  CompareOperation(const Config& config, WarehouseOpener open, ProgressSink& progress, const Cancellation& cancel);
  CompareResult run(const CompareRequest& request);

 private:
  const Config& config_;
  WarehouseOpener open_;
  ProgressSink& progress_;
  const Cancellation& cancel_;
};

}  // namespace sluice
