// Snowflake as a load target (loaders/load_target.h), over the SQL API and the S3 stage: each
// file's chunks staged in S3 as they are scanned (StageSink: bounded parallelism and memory), the
// target table checked (or created), and the publish. The publish is one multi-statement
// request, so it is one transaction: for every file, its history row (and, with --replace, the rows
// it replaces pointed at it and the replaced range deleted), then COPY INTO the table FROM the stage
// with FILES = (the file's staged parts, at most 1000 per statement), FILE_FORMAT = the staged COPY
// text, ON_ERROR = ABORT_STATEMENT, PURGE = TRUE -- or, with --qc warehouse, INSERT ... SELECT from
// the file's checked staging table; then COMMIT. Any failure rolls everything back. The per-file
// COPY (or INSERT) results are read afterwards and reconciled against the rows staged. On a QC
// failure, an error or Ctrl-C (abandon), the job's staged files (and any unfinished multipart
// upload under its prefix) and staging tables are removed, and nothing is loaded.
//
// Resume: the same files (path, size, time), target and staging settings as a load whose process
// died give the same staged parts; that job's parts are checked on the stage, not uploaded again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/dates.h"
#include "core/cancellation.h"
#include "core/job_log.h"
#include "loaders/load_target.h"
#include "loaders/snowflake/stage_sink.h"
#include "warehouse/s3/stage_settings.h"
#include "warehouse/snowflake/snowflake_warehouse.h"
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

// What a load gives its Snowflake target besides the connection.
struct SnowflakeLoadSettings {
  JobLog* jobs = nullptr;
  std::string resume_key;        // operations/snowflake_resume_key.h
  StageSinkOptions staging;
  ProgressSink* progress = nullptr;
  const Cancellation* cancel = nullptr;
};

class SnowflakeTarget final : public LoadTarget {
 public:
  // The load's target: its own SQL API and S3 clients. Looks for an interrupted job to resume.
  SnowflakeTarget(const SnowflakeConnection& connection, SnowflakeLoadSettings settings);
  // SQL only, over a client someone else manages (publish_sql).
  SnowflakeTarget(snowflake::SqlApiClient& sql, std::string schema, std::string stage_name);
  ~SnowflakeTarget() override;

  Warehouse& warehouse() override { return *reads_; }
  std::string display_table(const TableSpec& table) const override;
  void describe(nlohmann::json& args) const override;
  void configure(PipelineOptions& options) const override;
  bool rows_visible_before_commit() const override { return false; }
  void begin(std::int64_t job_id) override;
  bool prepare_table(const TableSpec& table, bool create) override;
  std::uint64_t open_file(const TargetFile& file, ChunkRecorder record) override;
  ChunkSink& file_sink() override;
  void abandon_file() noexcept override;
  std::uint64_t close_file(const TargetFile& file, const SentRows& sent) override;
  std::string staged_relation(const TargetFile& file) override;
  void publish_staged(const TargetFile&, std::uint64_t) override {}  // the publish inserts from the staging table
  void add_history(const TargetFile& file, const HistoryRecord& record) override;
  std::map<std::size_t, Committed> commit(ProgressSink& progress) override;
  void abandon() noexcept override;

  // One transaction; throws SqlApiError when Snowflake refuses (nothing is then loaded), and a
  // runtime Error when the committed rows do not match the rows staged.
  // `while_running` is called at each poll of the running transaction (progress).
  std::vector<SnowflakeFileResult> publish(const std::vector<SnowflakeFileLoad>& files, std::int64_t job_id,
                                           const std::function<void()>& while_running = {});
  // The statements publish() sends (for logs and tests).
  std::string publish_sql(const std::vector<SnowflakeFileLoad>& files, std::int64_t job_id) const;

  // The FILE_FORMAT of the staged parts (CopyFormat::snowflake_csv, zstd-compressed) of a table
  // with `columns` columns.
  static std::string file_format(std::size_t columns);
  // Names that format in the resume key, so parts staged in another one (an older sluice's
  // PostgreSQL COPY text, "copy-text-2") are never resumed with it. Change it with the format.
  static constexpr const char* staged_format = "csv-enclosed-1";

 private:
  std::string qualified_table(const TableSpec& table) const;
  // --qc warehouse: a transient table "<TABLE>__SLUICE_STAGE_<job>_<n>" (n: the file's place in
  // the load, from 1) with the config's columns (replaced if a killed job left one), the file's
  // staged parts copied into it (their rows checked against the staged count).
  std::string create_staging_table(const TableSpec& table, std::int64_t job_id, std::size_t file_index);
  std::uint64_t copy_to_staging(const SnowflakeFileLoad& file, const std::string& staging);
  // Removes what the job staged and its staging tables, with clients Ctrl-C does not stop.
  void clean_up() noexcept;

  std::unique_ptr<snowflake::SqlApiClient> owned_sql_;
  snowflake::SqlApiClient* sql_;
  std::unique_ptr<SnowflakeWarehouse> reads_;
  std::string schema_, stage_;

  // The load (first constructor only).
  const SnowflakeConnection* connection_ = nullptr;
  SnowflakeLoadSettings settings_;
  snowflake::SqlApiSettings sql_settings_;
  s3::StageTarget stage_target_;
  std::unique_ptr<s3::S3Client> s3_;
  std::int64_t job_id_ = 0;
  std::int64_t resumed_ = 0;                        // the interrupted job resumed, or 0
  std::map<std::string, std::string> recorded_;     // its staged parts: key -> ETag
  std::string job_dir_, job_prefix_;
  std::mutex jobs_mu_;                              // uploads record from their threads
  std::optional<StageSink> sink_;
  SnowflakeFileLoad current_;
  std::vector<SnowflakeFileLoad> loads_;
  std::vector<std::size_t> file_of_load_;
  std::vector<std::string> staging_tables_;
  bool cleaned_up_ = true;
};

}  // namespace sluice
