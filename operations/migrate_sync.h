// Incremental sync (docs/sync.md): the parts a run of an incremental table is made of — its
// window, the merge by key, deletes detection — and the dry run that counts what they would do.
// migrate_run drives them; the sources say how to read a window (loaders/table_source.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cancellation.h"
#include "loaders/table_source.h"
#include "operations/migrate_plan.h"
#include "operations/migrate_run.h"
#include "warehouse/postgres/connection.h"

namespace sluice {

// The mark the last run of `job` left for `table` (a JSON array of the watermark's values, or null
// when the table had none yet), while it still means something: kept for the same watermark, filter
// (where) and target table; nullopt when there is none, and the table is copied whole again.
std::optional<nlohmann::json> last_mark(pg::Connection& conn, const std::string& job, const PlannedTable& table);
// Records `mark` (nullopt: none yet) as `table`'s, by `run`, in the transaction open on `conn`.
void record_mark(pg::Connection& conn, const std::string& job, const PlannedTable& table,
                 const std::optional<std::string>& mark, const std::string& run);

// A window as the run-state tables keep it (sluice_migrate.tables.window_json), and back.
nlohmann::json window_json(const WatermarkWindow& window);
WatermarkWindow window_of(const nlohmann::json& json);

// The window this run of an incremental table reads: from the mark the last run left (inclusive,
// less the lookback; exclusive for append) to the greatest watermark at the table's snapshot
// (`at`), and the rows without a watermark as the table's policy says. Throws (exit 3) when the
// policy is fail and the source holds such rows.
WatermarkWindow plan_window(TableSource& source, const PlannedTable& table, const SourceTable& at,
                            const std::optional<nlohmann::json>& mark);

// Merges the rows COPYed into the temporary table sluice_sync into `into` by the table's key, in
// key order: new keys inserted, rows whose text differs updated, equal rows left as they are.
// Returns (inserted, updated). Two rows with one key are an error (exit 3) naming the range.
std::pair<std::uint64_t, std::uint64_t> merge_by_key(pg::Connection& conn, const PlannedTable& table, const std::string& into,
                                                     const SourceRange& range);

// deletes: detect. Deletes (or counts, `dry_run`) the target's rows whose key is gone from the
// source, range by range; adds each range's count to the run's table row (`run`). Returns the rows.
std::uint64_t delete_missing_keys(TableSource& source, pg::Connection& conn, const PlannedTable& table, const SourceTable& at,
                                  std::uint64_t chunk_rows, const std::string& run, bool dry_run, const Cancellation& cancel);

// A test's hook: with SLUICE_TEST_PAUSE_AFTER_WINDOW=PATH a run that has fixed a table's window
// writes PATH.ready and waits (at most a minute) until PATH is gone.
void pause_after_window_for_test();

// What `sluice migrate run --dry-run` would do, found by reading and comparing, writing nothing.
struct MigrationPreview {
  struct Table {
    std::string source_table, target;
    std::string kind;                  // full | append | initial (an incremental table's first copy) | sync
    std::uint64_t rows = 0;            // the rows a run would read
    std::uint64_t would_insert = 0, would_update = 0, would_delete = 0;
    std::string mark_from, mark_to;    // a sync's window (JSON arrays; "" = unbounded)
    std::string error;                 // the table could not be previewed (a value problem, ...)
  };
  std::string job;
  std::vector<Table> tables;
};
MigrationPreview preview_migration(const Config& config, const MigrationSpec& job, const MigrateRun::SourceFactory& open_source,
                                   const std::string& target_conninfo, const std::string& only_table, const Cancellation& cancel);

}  // namespace sluice
