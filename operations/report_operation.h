// `sluice report`: what every configured table holds, across one or more configs: whether it
// exists, rows, columns, first and last day, rows per month, the last load and the last validation
// verdict; then the largest, the empty and the missing tables. Per table one aggregated query (rows
// per day, summed into months here) plus catalog and history lookups, so a billion-row table costs
// one scan, never a query per day.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/progress.h"
#include "warehouse/load_history.h"
#include "warehouse/warehouse.h"

namespace sluice {

struct TableReport {
  std::string config;          // the config file it comes from
  std::string table;           // as configured
  std::string target;          // schema.table as the warehouse names it
  std::string connection;
  std::string status;          // "ok", "empty", "missing" or "error"
  std::string error;           // with status error: what the warehouse said
  std::size_t columns = 0;
  std::uint64_t rows = 0;
  std::string date_column;     // folded; "" when the table has none
  std::optional<DateRange> days;             // first..last day with rows
  std::size_t days_with_rows = 0;
  std::uint64_t null_dates = 0, bad_dates = 0;
  std::map<std::string, std::uint64_t> rows_per_month;   // "2024-01" -> rows
  std::optional<HistoryRow> last_load;
  std::optional<ValidationRecord> validation;
};

struct ReportSummary {
  std::vector<std::string> configs;
  std::vector<TableReport> tables;
  std::string generated_at;    // UTC, ISO 8601
  double seconds = 0;
  std::uint64_t total_rows() const;
  std::size_t count(const std::string& status) const;
  // Existing tables with rows, most rows first (at most n).
  std::vector<const TableReport*> largest(std::size_t n) const;
};

class ReportOperation {
 public:
  // Opens a Warehouse for a connection of a given config.
  using Opener = std::function<std::unique_ptr<Warehouse>(const Config&, const ConnectionSpec&)>;
  ReportOperation(Opener open, ProgressSink& progress) : open_(std::move(open)), progress_(progress) {}
  // `tables` (empty: all) narrows each config to those names; a name no config has is a usage error.
  ReportSummary run(const std::vector<const Config*>& configs, const std::vector<std::string>& tables = {});

 private:
  Opener open_;
  ProgressSink& progress_;
};

}  // namespace sluice
