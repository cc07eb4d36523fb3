// `sluice migrate verify`: proves a migrated table holds the source's rows. Range by range: where
// the source's engine computes the same digest as the target's (a PostgreSQL source whose types
// are kept: row count and the sum of a hash of each row's text), equal digests settle the range.
// Otherwise (other sources, or digests that differ) the source's rows are read again as a copy
// would read them, into a temporary table on the target, and PostgreSQL compares the two as
// multisets (EXCEPT ALL both ways), so equality is decided by the target's own types: a changed row
// shows once on each side, a missing row on one. Differences are named by range and by primary key
// (else by the column the table is cut by).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/progress.h"
#include "loaders/table_source.h"

namespace sluice {

struct VerifiedRange {
  std::string label;                        // "rowid 1..250000", "all rows"
  std::uint64_t source_rows = 0, target_rows = 0;
  std::uint64_t only_in_source = 0, only_in_target = 0;
  std::vector<std::string> keys;            // primary keys of differing rows (a few), "id=17"
};

struct VerifiedTable {
  std::string source_table, target;
  bool target_exists = true;
  std::uint64_t source_rows = 0, target_rows = 0, unfit_rows = 0;
  std::size_t ranges = 0;
  std::size_t fingerprinted_ranges = 0;     // settled by equal digests computed on both sides in SQL
  std::vector<VerifiedRange> differing;
  bool same() const { return target_exists && differing.empty(); }
};

struct VerifyResult {
  std::string job;
  std::vector<VerifiedTable> tables;
  bool same() const;
};

// `sluice migrate compare`: the plan's tables against the target's existing ones, schema only.
struct ColumnDifference {
  std::string column;
  std::string problem;            // "missing in the target", "only in the target", "type", "nullability"
  std::string planned, actual;    // types ("numeric(12,2)") or "NULL" / "NOT NULL"
};
struct ComparedTable {
  std::string source_table, target;
  bool target_exists = true;
  std::vector<ColumnDifference> differences;
  bool same() const { return target_exists && differences.empty(); }
};
struct SchemaComparison {
  std::string job;
  std::vector<ComparedTable> tables;
  bool same() const;
};
SchemaComparison compare_migration_schema(const Config& config, const MigrationSpec& job, TableSource& source,
                                          const std::string& target_conninfo, const std::string& only_table);

VerifyResult verify_migration(const Config& config, const MigrationSpec& job,
                              const std::function<std::unique_ptr<TableSource>()>& open_source,
                              const std::string& target_conninfo, const std::string& only_table, ProgressSink& progress,
                              const Cancellation& cancel);

}  // namespace sluice
