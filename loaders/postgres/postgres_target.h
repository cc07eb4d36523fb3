// The PostgreSQL load path: one transaction per load on one connection. Inside it: an advisory
// lock per table, the table checked (or created), the month's old rows deleted when replacing,
// COPY FROM STDIN fed chunk by chunk, the row count reconciled, and a row in the load history.
// Nothing is visible to other sessions until commit, so a QC failure, a COPY error, a killed
// process or a server restart leaves every table exactly as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/dates.h"
#include "loaders/pipeline.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/warehouse.h"

namespace sluice {

struct HistoryEntry {
  std::int64_t id = 0;
  std::string file_name;
  std::string loaded_at;
  std::int64_t rows = 0;
  std::int64_t job_id = 0;
  std::optional<DateRange> range;  // the days it covered
};

struct HistoryRecord {
  std::string table, file_name, file_path, compression, qc_mode;
  std::uint64_t file_size = 0, file_checksum = 0, content_checksum = 0, rows_loaded = 0, rows_deleted = 0,
                rows_rejected = 0;
  std::optional<DateRange> range;
  std::int64_t job_id = 0;
  bool replace = false;
};

class PostgresTarget {
 public:
  static constexpr const char* kHistoryTable = kLoadHistoryTable;

  PostgresTarget(pg::Connection& conn, std::string schema);

  // Outside the transaction (DDL that concurrent loads would race on).
  void ensure_history_table();
  void begin();
  void commit();
  void rollback() noexcept;

  // Serialises loads of one table across sessions until the transaction ends.
  void lock_table(const TableSpec& table);
  // Checks the table matches the config (or creates it when `create`); returns true if created.
  // Throws a usage error listing every mismatch as table.column.
  bool prepare_table(const TableSpec& table, bool create);

  std::optional<HistoryEntry> find_by_name(const TableSpec& table, const std::string& file_name,
                                           std::uint64_t size);
  // A load of the same data: the same stored bytes or the same bytes after decompression.
  std::optional<HistoryEntry> find_by_checksum(const TableSpec& table, std::uint64_t file_checksum,
                                               std::uint64_t content_checksum);

  // Deletes the rows whose date column falls in `range`; returns how many.
  std::uint64_t delete_range(const TableSpec& table, const DateRange& range);

  // COPY: begin, then hand `sink()` to the pipeline, then finish. A chunk with QC errors makes
  // the sink abort the COPY (the load is doomed) while the scan goes on to report everything.
  // With `skip_limit`, chunks with bad rows are still sent (the scanner left those rows out)
  // until more than *skip_limit rows were set aside.
  // `relation` (quoted SQL name) copies into another table with the table's columns, e.g. a
  // staging table; empty means the table itself.
  void begin_copy(const TableSpec& table, std::optional<std::uint64_t> skip_limit = std::nullopt,
                  const std::string& relation = {});
  // A temporary table with the table's columns, dropped at the end of the transaction; returns its
  // quoted name. For `--qc warehouse`: rows are checked there before they reach the table.
  std::string create_staging_table(const TableSpec& table, int n);
  // Moves the staged rows into the table (config columns); returns how many.
  std::uint64_t publish_staged(const TableSpec& table, const std::string& staging);
  ChunkSink& sink() { return sink_; }
  bool copy_doomed() const { return sink_.doomed; }
  // Ends the COPY and returns the server's row count. Throws ServerError on a rejected value.
  std::uint64_t end_copy();

  std::int64_t record_history(const HistoryRecord& record);

  const std::string& schema() const { return schema_; }
  std::string qualified_table(const TableSpec& table) const;
  std::string history_table() const;

 private:
  // The newest current load (not replaced, not deleted since) matching `condition` ($n: params).
  std::optional<HistoryEntry> latest_load(const std::string& condition, std::vector<std::optional<std::string>> params);

  struct CopySink final : ChunkSink {
    explicit CopySink(pg::Connection& c) : conn(c) {}
    void consume(const ScannedChunk& chunk) override;
    pg::Connection& conn;
    bool active = false;
    bool doomed = false;
    std::uint64_t rows_sent = 0;
    std::optional<std::uint64_t> skip_limit;
    std::uint64_t rows_set_aside = 0;
  };

  pg::Connection& conn_;
  std::string schema_;
  CopySink sink_;
  bool in_transaction_ = false;
};

}  // namespace sluice
