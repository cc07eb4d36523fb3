// The load history (sluice_load_history in each target schema), read and written through the
// Warehouse interface only: the loads of every target, delete and restore (operation 'delete' /
// 'restore') use this one implementation. A row is current while replaced_by is NULL. Checksums are
// spelled "xxh3:<16 hex digits>" on every warehouse (Warehouse::ensure_load_history brings rows an
// older sluice wrote up to that spelling).
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

// What a load records about one file.
struct HistoryRecord {
  std::string table, file_name, file_path, compression, qc_mode;
  std::uint64_t file_size = 0, file_checksum = 0, content_checksum = 0, rows_loaded = 0, rows_deleted = 0,
                rows_rejected = 0, staged_files = 0;
  std::optional<DateRange> range;
  std::int64_t job_id = 0;
  bool replace = false;  // supersedes the current rows of the same file name or of an overlapping range
};

// The spelling of a checksum in the history.
std::string history_checksum(std::uint64_t checksum);

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

  // The newest current load of this file name and size, or of the same data (the stored bytes'
  // or the decompressed contents' checksum), that no later delete removed.
  std::optional<HistoryRow> load_of_file(const std::string& table, const std::string& file_name, std::uint64_t size);
  std::optional<HistoryRow> load_of_contents(const std::string& table, std::uint64_t file_checksum,
                                             std::uint64_t content_checksum);
  // Appends a load's row (and, with record.replace, points the rows it replaces at it). Written so
  // that it needs no result in between: it runs inside a Snowflake transaction, which is one
  // request. `rows_deleted_sql`, when given, is an SQL expression counted in the same transaction
  // (the rows a --replace is about to delete) in place of record.rows_deleted.
  void record_load(const HistoryRecord& record, const std::string& rows_deleted_sql = {});

 private:
  std::string table_sql() const;
  std::optional<HistoryRow> newest_load(const std::string& condition, const SqlParams& params);
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
