// `sluice migrate plan`: what a migration job would do, changing nothing. The tables its rules
// name in the source, each column's PostgreSQL type and fidelity (loaders/migrate/column_mapping.h),
// the values that cannot fit (a SQLite source is profiled: one pass a table), the DDL, and the
// problems that stop it from running until the config changes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "loaders/migrate/column_mapping.h"
#include "loaders/table_source.h"
#include "warehouse/postgres/connection.h"

namespace sluice {

struct PlannedColumn {
  std::string source_name, source_type;
  std::string target_name;        // folded to lower case, or the rename
  ColumnMapping mapping;
  bool nullable = true;
  std::uint64_t misfits = 0;      // values whose kind the target column never takes
  std::string misfit_note;        // "2 text values, 1 blob" when misfits
};

struct PlannedTable {
  std::string source_table;
  std::string target_schema, target_table;  // as PostgreSQL will hold them
  MigrationMode mode = MigrationMode::full;
  std::uint64_t rows = 0;
  bool rows_known = false;
  std::string chunk_by;          // what ranges are cut by ("rowid", a column, "" for whole)
  std::string where;
  std::vector<PlannedColumn> columns;
  std::vector<std::string> primary_key;   // target names
  std::vector<SourceIndex> indexes;       // target names
  std::string column_sql;                 // the column definitions of CREATE TABLE
  std::string create_sql;                 // CREATE TABLE, without keys or indexes
  std::vector<std::string> after_data_sql;  // primary key, then indexes, built after the data
  // Incremental sync (mode incremental, or append with a watermark): source names as the source
  // spells them; the primary key above is then the rows' key.
  std::vector<std::string> watermark;
  NullWatermark null_watermark = NullWatermark::include;
  bool detect_deletes = false;
  std::optional<double> lookback;
  bool synced() const { return !watermark.empty(); }
  std::vector<std::string> problems;      // each stops the table until the config changes
  SourceTable source;                     // as read: columns with their final mappings, the filter
};

struct MigrationPlan {
  std::string job, source, source_kind, target, target_schema;
  int workers = 0;
  std::uint64_t chunk_rows = 0;
  std::vector<PlannedTable> tables;
  bool runnable() const;  // no table has problems
};

// Throws the usage error (exit 2) that lists every table's problems, when the plan has any.
void require_runnable(const MigrationPlan& plan);

// Opens a migration's source: SQLite read-only, PostgreSQL through `postgres_conninfo`, Snowflake
// over the SQL API and its stage (`cancel` stops its statements).
std::unique_ptr<TableSource> open_table_source(const Config& config, const MigrationSpec& job,
                                               const std::function<std::string(const ConnectionSpec&)>& postgres_conninfo,
                                               const Cancellation* cancel = nullptr);

// How much a plan reads of the source: every value's storage class of a SQLite table and the rows
// of a Snowflake one (what `migrate plan` shows), or only what the types need (the columns without
// a declared type), for run and verify, which count at their own snapshot.
enum class PlanReading { every_value, types_only };

// The plan of `job` (only `only_table` of it, when given: a source table name).
MigrationPlan plan_migration(const Config& config, const MigrationSpec& job, TableSource& source,
                             const std::string& only_table = "", PlanReading reading = PlanReading::every_value);

// A planned table's ranges of about `chunk_rows` rows each, cut as a run cuts them (verify
// re-reads the same ones); `rows` gets the source's count (the table's filter applied).
// At least `min_parts` ranges when the table is cut at all (a sync's window: every worker gets some).
std::vector<SourceRange> plan_table_ranges(TableSource& source, const PlannedTable& table, std::uint64_t chunk_rows,
                                           std::uint64_t& rows, std::size_t min_parts = 1);

// The target column a source range is cut by, when the target has it (SQLite's rowid is there
// only as an INTEGER PRIMARY KEY); "" when the target cannot be cut the same way.
std::string target_range_column(const PlannedTable& table, const SourceRange& range);

// Reads `range` of `table` from `source` into the temporary table `temp_table`, made with the
// target's `columns` (quoted, comma-separated) of `target` and dropped at commit, inside the
// transaction open on `conn`: what verify compares, a sync merges and deletes detection keys on.
// Returns the rows read.
std::uint64_t read_range_into_temp_table(pg::Connection& conn, TableSource& source, const SourceTable& table,
                                         const SourceRange& range, const std::string& temp_table, const std::string& columns,
                                         const std::string& target, const Cancellation& cancel,
                                         const ValueProblemHandler& problems = {});
// The fingerprint a target_fingerprint_sql query answered: its count, then its values.
RangeFingerprint fingerprint_of(const pg::Result& result);

// The migration a command names: `name`, or the only one when `name` is empty.
const MigrationSpec& find_migration(const Config& config, const std::string& name);

}  // namespace sluice
