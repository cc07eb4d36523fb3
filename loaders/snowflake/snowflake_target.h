// The Snowflake load path's warehouse side, over the SQL API: the load history table, the target
// table checked (or created), reload checks, and the publish. The publish is one multi-statement
// request, so it is one transaction: for every file, its history row (and, with --replace, the rows
// it replaces pointed at it and the replaced range deleted), then COPY INTO the table FROM the stage
// with FILES = (the file's staged parts, at most 1000 per statement), FILE_FORMAT = the staged COPY
// text, ON_ERROR = ABORT_STATEMENT, PURGE = TRUE -- or, with --qc warehouse, INSERT ... SELECT from
// the file's checked staging table; then COMMIT. Any failure rolls everything back. The per-file
// COPY (or INSERT) results are read afterwards and reconciled against the rows staged.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/dates.h"
#include "loaders/postgres/postgres_target.h"  // HistoryEntry, HistoryRecord
#include "loaders/snowflake/stage_sink.h"
#include "warehouse/snowflake/sql_api_client.h"

namespace sluice {

struct SnowflakeFileLoad {
  const TableSpec* table = nullptr;
  std::string stage_dir;             // under the stage: "<job>/<TABLE>/"
  std::vector<StagedPart> parts;
  std::optional<DateRange> replace;  // --replace: the range deleted first
  std::string staging_table;         // --qc warehouse: the checked rows are there, not on the stage
  HistoryRecord history;             // rows_loaded = rows staged
};

struct SnowflakeFileResult {
  std::uint64_t rows_loaded = 0;   // the sum of COPY's rows_loaded
  std::uint64_t rows_deleted = 0;
  std::uint64_t files_loaded = 0;  // staged files COPY reported LOADED
};

class SnowflakeTarget {
 public:
  SnowflakeTarget(snowflake::SqlApiClient& sql, std::string schema, std::string stage_name);

  // The load history (snowflake::load_history_ddl, shared with the warehouse operations).
  void ensure_history_table();
  // --qc warehouse: a transient table "<TABLE>__SLUICE_STAGE_<job>_<n>" (n: the file's place in
  // the load, from 1) with the config's columns (replaced if a killed job left one), the file's
  // staged parts copied into it (their rows checked against the staged count), and dropped at the
  // end whatever happened (through `client`: one that Ctrl-C does not stop).
  std::string create_staging_table(const TableSpec& table, std::int64_t job_id, std::size_t file_index);
  std::uint64_t copy_to_staging(const SnowflakeFileLoad& file, const std::string& staging);
  void drop_staging_table(snowflake::SqlApiClient& client, const std::string& staging) noexcept;
  // Checks the table's columns against the config (or creates it when `create`); true if created.
  bool prepare_table(const TableSpec& table, bool create);
  std::optional<HistoryEntry> find_by_name(const TableSpec& table, const std::string& file_name,
                                           std::uint64_t size);
  std::optional<HistoryEntry> find_by_checksum(const TableSpec& table, std::uint64_t file_checksum,
                                               std::uint64_t content_checksum);

  // One transaction; throws SqlApiError when Snowflake refuses (nothing is then loaded), and a
  // runtime Error when the committed rows do not match the rows staged.
  // `while_running` is called at each poll of the running transaction (progress).
  std::vector<SnowflakeFileResult> publish(const std::vector<SnowflakeFileLoad>& files, std::int64_t job_id,
                                           const std::function<void()>& while_running = {});

  std::string qualified_table(const TableSpec& table) const;
  std::string history_table() const;
  // The FILE_FORMAT of the staged parts (CopyFormat::snowflake_csv, zstd-compressed) of a table
  // with `columns` columns.
  static std::string file_format(std::size_t columns);
  // Names that format in the resume key, so parts staged in another one (an older sluice's
  // PostgreSQL COPY text, "copy-text-2") are never resumed with it. Change it with the format.
  static constexpr const char* staged_format = "csv-enclosed-1";
  // The statements publish() sends (for logs and tests).
  std::string publish_sql(const std::vector<SnowflakeFileLoad>& files, std::int64_t job_id) const;

 private:
  // The newest load in the history matching `condition` (its "?" bound by `bound`) that no later
  // load replaced and no delete removed.
  std::optional<HistoryEntry> latest_load(const std::string& condition, const snowflake::StatementOptions& bound);

  snowflake::SqlApiClient& sql_;
  std::string schema_, stage_;
};

}  // namespace sluice
