// The load: select the month's files, then for each target connection run one transaction in
// which every file is scanned once (QC + COPY in the same pass), reconciled and recorded. The
// transaction commits only when every file passed; otherwise nothing is loaded and the summary
// says exactly why, file by file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/error.h"
#include "core/job_log.h"
#include "core/progress.h"
#include "loaders/pipeline.h"
#include "loaders/postgres/postgres_target.h"  // HistoryEntry
#include "loaders/snowflake/stage_sink.h"
#include "operations/file_selection.h"
#include "operations/reload_guard.h"

namespace sluice {

// file: file QC in the scan gates the load; warehouse: the rows go to a staging table in the load's
// transaction and the validate checks run there before they are published; none: structure only.
enum class QcMode { file, warehouse, none };
enum class OnError { abort, skip };
const char* to_string(QcMode mode);

struct LoadRequest {
  std::string month;                    // with base_path, or
  std::filesystem::path base_path = ".";
  std::vector<std::string> files;       // explicit files
  std::vector<std::string> tables;      // restrict (month mode) or choose (files mode, one table)
  QcMode qc = QcMode::file;
  bool replace = false;
  bool append = false;                  // add to rows already in the file's range (else that is refused)
  bool create = false;
  bool dry_run = false;                 // scan and QC only; the warehouse is not touched
  OnError on_error = OnError::abort;    // skip: bad rows go to reject_file, the rest loads
  std::uint64_t max_errors = 1000;      // with skip: more bad rows than this (per file) aborts
  std::filesystem::path reject_file;    // required with skip
  PipelineOptions pipeline;
  StageSinkOptions staging;             // Snowflake: staged file size, uploads in flight
};

enum class FileStatus {
  loaded,        // committed
  qc_failed,     // its own QC failed
  refused,       // already loaded and --replace not given
  failed,        // the server or the file failed
  rolled_back,   // fine itself, but another file of the load failed
  checked,       // --dry-run: QC passed, nothing was meant to be loaded
};
const char* to_string(FileStatus status);

struct FileOutcome {
  SelectedFile file;
  std::string target;                 // schema.table
  FileStatus status = FileStatus::failed;
  PipelineResult scan;
  bool scanned = false;
  std::uint64_t rows_loaded = 0;
  std::uint64_t rows_deleted = 0;
  std::uint64_t rows_rejected = 0;    // set aside in the reject file (--on-error skip)
  bool table_created = false;
  std::optional<Error> error;         // for refused and failed
  double seconds = 0;
};

struct LoadSummary {
  std::int64_t job_id = 0;
  std::vector<FileOutcome> files;
  std::vector<std::string> not_found;
  std::filesystem::path reject_file;  // when rows were set aside
  bool committed = false;
  QcMode qc = QcMode::file;
  double seconds = 0;
  ExitCode exit_code() const;
};

// Shared by the load paths.
void apply_error_policy(const LoadRequest& req, FileOutcome& outcome);
double seconds_since(std::chrono::steady_clock::time_point t);
// What the reload checks (operations/reload_guard.h) need of a load, for either target.
ReloadCheckInput reload_input(Warehouse& w, const std::string& schema, const TableSpec& table, const std::string& file,
                              const std::string& target, const LoadRequest& req);

class LoadOperation {
 public:
  // Gives the libpq connection string for a postgres connection (starting the embedded server
  // when needed).
  using ConninfoResolver = std::function<std::string(const ConnectionSpec&)>;

  LoadOperation(const Config& config, ConninfoResolver conninfo, JobLog& jobs, ProgressSink& progress,
                const Cancellation& cancel);

  LoadSummary run(const LoadRequest& request);

 private:
  LoadSummary check_only(const std::vector<SelectedFile>& files, LoadSummary summary, const LoadRequest& req,
                         std::chrono::steady_clock::time_point started);
  // Snowflake (operations/snowflake_load.cpp): chunks staged in S3 as they are scanned, then one
  // transaction of COPY INTO ... FILES = (...) once every file passed QC.
  LoadSummary run_snowflake(const ConnectionSpec& connection, const std::vector<SelectedFile>& files,
                            const LoadRequest& req, LoadSummary summary,
                            std::chrono::steady_clock::time_point started);
  const Config& config_;
  ConninfoResolver conninfo_;
  JobLog& jobs_;
  ProgressSink& progress_;
  const Cancellation& cancel_;
};

}  // namespace sluice
