// The commands behind the command line, one function each. They print results to stdout, report
// progress through the context, and return the process exit code (errors are thrown).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "app/application_context.h"
#include "operations/compress_operation.h"
#include "operations/load_operation.h"

namespace sluice {

// Every command that prints a result takes --format (text, json, and csv where a table fits) and
// --json, the short form of --format json; most take --output PATH too.
struct OutputOptions {
  std::string format = "text";
  bool json = false;              // --json; the command line folds it into format
  std::filesystem::path output;   // empty: stdout
  bool is_json() const { return format == "json"; }
};

struct LoadCommandOptions {
  LoadRequest request;
  OutputOptions out;   // text or json
};
int run_load_command(ApplicationContext& ctx, const LoadCommandOptions& options);

struct DemoOptions {
  std::uint64_t size_mb = 300;
  std::string month = "2024-01";
  std::filesystem::path dir;  // default: <data dir>/demo
};
int run_demo_command(ApplicationContext& ctx, const DemoOptions& options);

struct GenerateOptions {
  std::string month = "2024-01";
  std::filesystem::path out;
  std::uint64_t rows = 0;
  std::uint64_t size_mb = 0;
  std::uint64_t seed = 42;
  bool header = false;
  std::vector<int> skip_days;
  std::uint64_t ragged_line = 0, bad_date_line = 0, duplicate_line = 0;
  std::filesystem::path config_out;  // also write a config describing the file
  std::string table = "FACT_LENDING_SAMPLE";
};
int run_generate_command(ApplicationContext& ctx, const GenerateOptions& options);

// Recent jobs from the job store, newest first.
int run_jobs_command(ApplicationContext& ctx, int limit, bool json);

// Profiles one file (sniffed, or read as a config table with its file QC in the same pass).
struct AnalyzeCommandOptions {
  std::filesystem::path file;
  std::string table;        // read as this config table and run its file QC too
  std::string date_column;  // rows per day of this column (default: the table's, else inferred)
  bool sniff = false;       // ignore the config's tables: sniff the format even when a pattern matches
  OutputOptions out;        // text or json
  int workers = 0;
};
int run_analyze_command(ApplicationContext& ctx, const AnalyzeCommandOptions& options);

// A table entry per file (sniff + profile), printed, or written as a whole config to `out`.
struct ConfigGenerateOptions {
  std::vector<std::filesystem::path> files;
  std::string table;           // the table name (one file only); default from the file name
  std::filesystem::path out;   // a whole config with the embedded target; refused if it exists
  bool force = false;
};
int run_config_generate_command(ApplicationContext& ctx, const ConfigGenerateOptions& options);

// Writes a file as .zst (byte-identical, optionally in parts), checking it in the same pass.
int run_compress_command(ApplicationContext& ctx, const CompressRequest& request, const OutputOptions& out);


struct ValidateCommandOptions {
  std::vector<std::string> tables;
  std::string month, from, to;
  bool no_record = false;
  OutputOptions out;
};
int run_validate_command(ApplicationContext& ctx, const ValidateCommandOptions& options);

struct DeleteCommandOptions {
  std::vector<std::string> tables;
  std::string month, from, to;
  bool dry_run = false;
  bool yes = false;
  OutputOptions out;   // text or json
};
int run_delete_command(ApplicationContext& ctx, const DeleteCommandOptions& options);

struct RestoreCommandOptions {
  std::int64_t job = 0;
  bool dry_run = false;
  OutputOptions out;   // text or json
};
int run_restore_command(ApplicationContext& ctx, const RestoreCommandOptions& options);

struct DeletesCommandOptions {
  std::size_t limit = 50;   // tables' entries, newest first
  OutputOptions out;        // text or json
};
// The recorded deletes and whether each can be restored (app/commands/deletes_command.cpp).
int run_deletes_command(ApplicationContext& ctx, const DeletesCommandOptions& options);

struct ReportCommandOptions {
  std::vector<std::filesystem::path> configs;   // empty: the current config
  std::vector<std::string> tables;
  OutputOptions out;
};
int run_report_command(ApplicationContext& ctx, const ReportCommandOptions& options);

struct CompareCommandOptions {
  std::filesystem::path file;
  std::string table;
  int workers = 0;
  OutputOptions out;
};
int run_compare_command(ApplicationContext& ctx, const CompareCommandOptions& options);

// sluice migrate plan [JOB] [--table T]: what a migration would do; changes nothing.
struct MigrateCommandOptions {
  std::string job;
  std::string table;
  bool restart = false;
  bool append_again = false;
  bool dry_run = false;
  std::string on_error = "abort";
  std::filesystem::path reject_file;
  int workers = 0;
  OutputOptions out;
};
int run_migrate_plan_command(ApplicationContext& ctx, const MigrateCommandOptions& options);
// sluice migrate run [JOB]: copies the tables (exit 3 when a value stopped a table, 1 on a failure).
int run_migrate_run_command(ApplicationContext& ctx, const MigrateCommandOptions& options);
// sluice migrate verify [JOB]: source and target rows compared range by range (exit 3 when they differ).
int run_migrate_verify_command(ApplicationContext& ctx, const MigrateCommandOptions& options);
// sluice migrate compare [JOB]: the target's existing tables against the plan, schema only (exit 3 on a difference).
int run_migrate_compare_command(ApplicationContext& ctx, const MigrateCommandOptions& options);
// sluice migrate status [JOB]: the newest run's tables and chunks, from the target's run state.
// The Migrate screen's lines for `job` of the config at `config_path`: its incremental tables and
// the mark each one's last sync left, read from the target (an embedded one is not started).
std::vector<std::string> migration_sync_marks(ApplicationContext& ctx, const std::filesystem::path& config_path,
                                              const std::string& job);
int run_migrate_status_command(ApplicationContext& ctx, const MigrateCommandOptions& options);

// sluice stage list | clean: a Snowflake connection's staged job directories.
struct StageCommandOptions {
  bool clean = false;           // clean (else list)
  std::string connection;       // default: the target, else the only Snowflake connection
  double older_than_days = -1;  // < 0: no age limit
  std::vector<std::int64_t> jobs;
  bool dry_run = false;
  bool yes = false;
  OutputOptions out;            // text or json
};
int run_stage_command(ApplicationContext& ctx, const StageCommandOptions& options);

int run_config_validate(const std::filesystem::path& file, const OutputOptions& out);
int run_config_init(const std::filesystem::path& file, bool force);

// YAML for a config whose target is the embedded server and whose only table is `table`.
std::string embedded_config_yaml(const TableSpec& table);

}  // namespace sluice
