// The load history (sluice_load_history in each target schema) as the warehouse operations read and
// write it, through the Warehouse interface. Loads write their rows in loaders/postgres; delete and
// restore add rows with operation 'delete' / 'restore'. A row is current while replaced_by is NULL.
//
// What the table should hold, by the history: the rows of current loads minus the rows of current
// deletes. A restore marks the delete it undid as replaced, so the delete stops counting; the
// restore row itself is a record, not a count. A --replace load marks every row of its range
// replaced, deletes and restores included.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dates.h"
#include "warehouse/warehouse.h"

namespace sluice {

struct HistoryRow {
  std::int64_t id = 0;
  std::string operation;        // load | delete | restore
  std::string file_name;
  std::int64_t rows_loaded = 0;
  std::int64_t rows_deleted = 0;
  std::optional<DateRange> range;
  std::int64_t job_id = 0;
  std::string at;               // loaded_at as the warehouse prints it
};

class LoadHistory {
 public:
  explicit LoadHistory(Warehouse& w) : w_(w) {}

  bool exists();
  // Current rows (replaced_by IS NULL) of a table (config name), oldest first.
  std::vector<HistoryRow> current(const std::string& table);
  // The newest current load of a table.
  std::optional<HistoryRow> last_load(const std::string& table);
  // Appends a delete or restore row; returns its id.
  std::int64_t add(const std::string& table, const std::string& operation, std::int64_t rows_loaded,
                   std::int64_t rows_deleted, const DateRange& range, std::int64_t job_id, const std::string& note);
  // Marks row `id` replaced by row `by`.
  void supersede(std::int64_t id, std::int64_t by);

 private:
  std::string table_sql() const;
  Warehouse& w_;
};

// What the table should hold by the history, over a range closed under the entries it touches:
// starting from `scope` (or everything), every current entry overlapping the range widens it, until
// nothing changes. Then expected = loads - deletes over those entries. nullopt when no load is among
// them (nothing to compare with).
struct HistoryExpectation {
  std::optional<DateRange> range;  // nullopt: the whole table
  std::int64_t expected_rows = 0;
  int loads = 0, deletes = 0;
};
std::optional<HistoryExpectation> expected_by_history(const std::vector<HistoryRow>& current,
                                                      const std::optional<DateRange>& scope);

// Verdicts of `sluice validate`, kept beside the load history (sluice_validation_history) so
// `sluice report` shows them from any machine.
struct ValidationRecord {
  bool passed = false;
  std::optional<DateRange> range;   // nullopt: all data
  std::int64_t rows = 0;
  std::string reasons;              // "; "-joined
  std::int64_t job_id = 0;
  std::string at;                   // when, as the warehouse prints it
};
inline constexpr const char* kValidationHistoryTable = "sluice_validation_history";
// Creates the table when missing. Throws sluice::Error.
void record_validation(Warehouse& w, const std::string& table, const ValidationRecord& record);
std::optional<ValidationRecord> last_validation(Warehouse& w, const std::string& table);

}  // namespace sluice
