// `sluice migrate run`: copies a migration's tables into PostgreSQL, exactly once and resumably.
//
// The run state lives in the target, in schema sluice_migrate (runs, tables, chunks). Each chunk
// (a range of the source) is copied by one worker in one transaction that also marks the chunk
// done, so a kill at any moment loses at most the chunks in flight and never leaves half a chunk
// visible; running the same command again resumes (finished chunks are skipped) when the job's
// config hash is unchanged. In `full` mode a table is built under a staging name and swapped in,
// in one short transaction, only when every chunk is done and the rows reconcile; until then
// readers see the previous table. Keys and indexes are built after the data, then ANALYZE.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/job_log.h"
#include "core/progress.h"
#include "loaders/table_source.h"
#include "operations/migrate_plan.h"

namespace sluice {

struct MigrateRunRequest {
  std::string only_table;         // a source table; "" = every table of the job
  bool restart = false;           // abandon an unfinished run (its staging tables dropped) and start over
  bool append_again = false;      // run an append the job already finished once more (its rows twice)
  bool skip_bad_rows = false;     // --on-error skip: rows with a value that does not fit go to the reject file
  std::filesystem::path reject_file;
  int workers = 0;                // 0: the job's, else min(cores, 4)
};

struct MigratedTable {
  std::string source_table, target;   // target as schema.table
  std::uint64_t planned_rows = 0, copied_rows = 0, rejected_rows = 0;
  std::size_t chunks = 0, chunks_done_before = 0;
  // An incremental table: what this run did ("initial": the first, whole copy; "sync": the rows of
  // the window upserted), the rows it inserted and updated (unchanged rows are neither), and the
  // mark it left (JSON array of the watermark's values, as the source printed them; "" = none yet).
  std::string sync;
  std::uint64_t inserted_rows = 0, updated_rows = 0, deleted_rows = 0;
  std::string mark;
  bool done = false;
  bool done_before = false;           // finished by an earlier (resumed) run
  std::string error;
  bool value_problem = false;         // stopped by a value that does not fit (exit 3), not by a failure
};

struct MigrateRunResult {
  std::int64_t run_id = 0;
  bool resumed = false;
  std::vector<MigratedTable> tables;
  double seconds = 0;
  bool ok() const;
};

class MigrateRun {
 public:
  using SourceFactory = std::function<std::unique_ptr<TableSource>()>;
  MigrateRun(const Config& config, const MigrationSpec& job, SourceFactory open_source,
             std::function<std::string()> target_conninfo, JobLog& jobs, ProgressSink& progress,
             const Cancellation& cancel);

  // Throws a usage Error when the plan has problems, the job's unfinished run was made with
  // another config (without restart), or another job's unfinished run writes one of its tables.
  MigrateRunResult run(const MigrateRunRequest& request);

 private:
  const Config& config_;
  const MigrationSpec& job_;
  SourceFactory open_source_;
  std::function<std::string()> target_conninfo_;
  JobLog& jobs_;
  ProgressSink& progress_;
  const Cancellation& cancel_;
};

// What the run-state tables say of a job's newest run (sluice migrate status).
struct MigrationStatus {
  struct Table {
    std::string source_table, target, status;
    std::uint64_t planned_rows = 0, copied_rows = 0, rejected_rows = 0;
    std::size_t chunks_done = 0, chunks_pending = 0;
  };
  // An incremental table's mark (sluice_migrate.marks) and what its recent runs did.
  struct Mark {
    std::string source_table, target, mark;  // mark: JSON array of the watermark's values; "" = none yet
    std::vector<std::string> watermark;
    std::int64_t run_id = 0;
    std::string updated_at;
  };
  struct SyncRun {
    std::int64_t run_id = 0;
    std::string source_table, kind, finished_at;  // kind: initial | sync
    std::uint64_t read_rows = 0, inserted_rows = 0, updated_rows = 0, deleted_rows = 0;
  };
  bool has_run = false;
  std::int64_t run_id = 0;
  std::string status, started_at, finished_at;  // running | interrupted | done | failed | abandoned
  std::vector<Table> tables;
  std::vector<Mark> marks;
  std::vector<SyncRun> syncs;  // newest first, at most 20
};
MigrationStatus migration_status(const std::string& target_conninfo, const std::string& job);

// The config hash of a plan: what a resumed run must share with the run it resumes (the job's
// source, target, schema and chunking); each table's columns, types, filter and mode are its
// table_signature, checked when a resumed run reaches a table it had begun.
std::string migration_config_hash(const MigrationPlan& plan);
std::string table_signature(const PlannedTable& table);

}  // namespace sluice
