// The load: select the month's files, then one driver for every target (loaders/load_target.h):
// per target connection one transaction in which every file is scanned once (QC + COPY or
// staging in the same pass), reconciled and recorded. It commits only when every file passed;
// otherwise nothing is loaded and the summary says exactly why, file by file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/error.h"
#include "core/job_log.h"
#include "core/progress.h"
#include "loaders/pipeline.h"
#include "loaders/load_target.h"
#include "loaders/snowflake/stage_sink.h"
#include "operations/file_selection.h"
#include "operations/reload_guard.h"

namespace sluice {

class RejectFile;

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
  bool load_file(const SelectedFile& file, std::size_t index, LoadTarget& target, const LoadRequest& req,
                 std::int64_t job_id, RejectFile* rejects, std::mutex& jobs_mu, bool load, FileOutcome& outcome);
  const Config& config_;
  ConninfoResolver conninfo_;
  JobLog& jobs_;
  ProgressSink& progress_;
  const Cancellation& cancel_;
};

}  // namespace sluice
