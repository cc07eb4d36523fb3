// Where deleted rows wait to be restored. On PostgreSQL they are copied into a backup table
// sluice_trash."<table>__job<id>" in the same transaction as the DELETE. Where the dialect has Time
// Travel (Snowflake) the DELETE's statement id is kept instead. Either way a row in
// sluice_trash.deletes says what was deleted (job, table, days, rows, backup or statement id) and
// whether it was restored, so `sluice restore JOB` works from any machine that has the config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dates.h"
#include "warehouse/warehouse.h"

namespace sluice {

inline constexpr const char* kTrashSchema = "sluice_trash";
inline constexpr const char* kTrashLog = "deletes";

struct TrashEntry {
  std::int64_t job_id = 0;
  std::string source_schema, source_table;   // folded names
  std::string backup_table;                   // folded, in sluice_trash; "" with Time Travel
  std::string statement_id;                   // the DELETE's id with Time Travel; ""
  DateRange range;
  std::int64_t rows = 0;
  std::string deleted_at;
  std::string restored_at;                    // "" while not restored
  std::int64_t restore_job_id = 0;
};

// Creates the schema and the log table when missing (outside a transaction).
void ensure_trash(Warehouse& w);
// A free name for the backup of `table` (folded) by job `job_id`: "<table>__job<id>", cut so it
// fits the identifier limit, with _2, _3, ... when another machine's job had the same id.
std::string choose_backup_name(Warehouse& w, const std::string& table, std::int64_t job_id);
void record_trash(Warehouse& w, const TrashEntry& entry);
// Entries of a job; empty when the log does not exist.
std::vector<TrashEntry> find_trash(Warehouse& w, std::int64_t job_id);
// The newest `limit` entries, newest job first; empty when the log does not exist.
std::vector<TrashEntry> recent_trash(Warehouse& w, std::size_t limit);
void mark_restored(Warehouse& w, const TrashEntry& entry, std::int64_t restore_job_id);
// "sluice_trash.fact_lending__job12"
std::string trash_display(const TrashEntry& e);

}  // namespace sluice
