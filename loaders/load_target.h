// What a load needs of the warehouse it loads into. One driver (operations/load_operation.cpp)
// owns the per-file state machine for every target: the table checks (overlapped with the start of
// the scan), the reload checks and the history (warehouse/load_history.h, through warehouse()), the
// file QC, the reject file, row reconciliation, --qc warehouse and the all-or-nothing end. A target
// says only how rows reach it and how its transaction ends:
//
//   PostgreSQL (loaders/postgres): a transaction on one connection; each file is a COPY FROM STDIN
//   fed chunk by chunk; the history row is written in the transaction; commit is COMMIT.
//   Snowflake (loaders/snowflake): each file's chunks are staged in S3 as they are scanned; commit
//   is one multi-statement transaction of history rows and COPY INTO ... FILES = (...).
//
// Calls come in this order, per load: begin, then per file prepare_table (on another thread while
// the scan starts), open_file, file_sink's chunks, close_file or abandon_file, [staged_relation,
// publish_staged], add_history; then commit or abandon.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_model.h"
#include "core/dates.h"
#include "core/job_log.h"
#include "core/progress.h"
#include "loaders/pipeline.h"
#include "loaders/scan/file_syntax.h"
#include "warehouse/load_history.h"
#include "warehouse/warehouse.h"

namespace sluice {

// One file as the driver hands it to its target.
struct TargetFile {
  std::size_t index = 0;                    // its place in the load, from 0
  const TableSpec* table = nullptr;
  std::filesystem::path path;
  std::string name;                         // the file name
  FileSyntax syntax;
  std::optional<DateRange> replace;         // --replace: the rows of this range go
  bool warehouse_qc = false;                // --qc warehouse: the rows are checked in a staging table first
  std::optional<std::uint64_t> skip_limit;  // --on-error skip: chunks with rows set aside are still sent
};

// Where the rows a target received came from, chunk by chunk, so a target can turn "row n of what
// I was sent" into the file's line (rows set aside were never sent).
class SentRows {
 public:
  void add(const ScannedChunk& chunk);
  // File line of the 1-based sent row `sent_row`, or 0 when it is not known.
  std::uint64_t line_of(std::uint64_t sent_row, const std::filesystem::path& path, const FileSyntax& syntax) const;

 private:
  struct Span {
    std::uint64_t first_row, rows, first_line;
    bool spans_lines;
    std::vector<std::uint64_t> rejected_rows;  // ascending, chunk-relative
  };
  std::vector<Span> spans_;
};

// Records a chunk (or a staged part) of the current file in the job log; callable from any thread.
using ChunkRecorder = std::function<void(ChunkProgress)>;

class LoadTarget {
 public:
  virtual ~LoadTarget() = default;

  // Reads: the reload checks, the history, the warehouse QC. Not inside a Snowflake transaction.
  virtual Warehouse& warehouse() = 0;
  // schema.table as the warehouse names it, for messages.
  virtual std::string display_table(const TableSpec& table) const = 0;
  // What the job record says of the target (args).
  virtual void describe(nlohmann::json& args) const { (void)args; }
  // The scan's output as this target takes it (COPY text or staged CSV, compression, phase names).
  virtual void configure(PipelineOptions& options) const = 0;
  // Whether a file's rows are in the table before commit (PostgreSQL: in the load's transaction),
  // so counts of the table include them.
  virtual bool rows_visible_before_commit() const = 0;

  virtual void begin(std::int64_t job_id) = 0;
  // Locks the table for this load, checks its columns against the config (or creates it with
  // `create`); true when created. Throws a usage error listing every mismatch.
  virtual bool prepare_table(const TableSpec& table, bool create) = 0;
  // Ready to take the file's chunks. Returns the rows a --replace deleted when the target knows
  // them now (PostgreSQL), else 0 (Snowflake deletes them at commit).
  virtual std::uint64_t open_file(const TargetFile& file, ChunkRecorder record) = 0;
  virtual ChunkSink& file_sink() = 0;
  // The file will not be loaded (its QC failed, it was refused): stop taking its rows.
  virtual void abandon_file() noexcept = 0;
  // All chunks were sent: the rows the target holds of the file (copied, or staged). A value the
  // server rejected is reported in the file's terms (file:line, table.column), using `sent`.
  virtual std::uint64_t close_file(const TargetFile& file, const SentRows& sent) = 0;
  // --qc warehouse, after close_file: the quoted relation holding the file's rows, where the
  // validate checks run; then publish_staged when they passed (`rows`: what was staged).
  virtual std::string staged_relation(const TargetFile& file) = 0;
  virtual void publish_staged(const TargetFile& file, std::uint64_t rows) = 0;
  // The file's history row, written in the load's transaction (PostgreSQL) or with the publish.
  virtual void add_history(const TargetFile& file, const HistoryRecord& record) = 0;

  struct Committed {
    std::uint64_t rows_loaded = 0, rows_deleted = 0;
  };
  // Makes every added file visible at once; per file index, what the warehouse reports. Throws
  // when the warehouse refused (then nothing is loaded).
  virtual std::map<std::size_t, Committed> commit(ProgressSink& progress) = 0;
  // Nothing is loaded; what the load left behind (staged files, staging tables) is removed.
  virtual void abandon() noexcept = 0;
};

}  // namespace sluice
