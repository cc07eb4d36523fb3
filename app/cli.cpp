#include "app/cli.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/application_context.h"
#include "app/commands/commands.h"
#include "app/commands/db_commands.h"
#include "app/paths.h"
#include "core/error.h"
#include "core/version.h"
#include "jobs/job_output.h"
#include "jobs/job_store.h"
#include "output/json_text.h"

namespace sluice {
namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  success\n"
    "  1  runtime failure (I/O, server, network); nothing was published\n"
    "  2  usage or config error, or a file already loaded (use --replace)\n"
    "  3  QC failed: nothing was loaded; the findings say file:line:column\n"
    "     (validate: a table failed; compare: the file and the table differ)\n"
    "\n"
    "Environment: SLUICE_CONFIG (config file), SLUICE_PG_DIR (embedded PostgreSQL cluster dir),\n"
    "XDG_CONFIG_HOME / XDG_DATA_HOME / XDG_STATE_HOME (where sluice keeps config, data, jobs and logs).";

// Ctrl-C cancels the running operation cleanly (the transaction rolls back); a second one kills.
std::atomic<Cancellation*> g_cancellation{nullptr};

extern "C" void on_signal(int sig) {
  if (Cancellation* c = g_cancellation.load()) c->cancel();
  std::signal(sig, SIG_DFL);
}

// The commands' --format/--json/--output, registered once per command so every command spells
// machine output the same way; `outputs` remembers which command owns which, for errors as JSON.
struct OutputBinding {
  CLI::App* command;
  OutputOptions* out;
};

void add_output_options(std::vector<OutputBinding>& outputs, CLI::App* cmd, OutputOptions& out,
                        std::vector<std::string> formats = {"text", "json", "csv"}, bool to_file = true) {
  std::string names;
  for (std::size_t i = 0; i < formats.size(); ++i)
    names += (i == 0 ? "" : i + 1 == formats.size() ? " or " : ", ") + formats[i];
  cmd->add_option("--format", out.format, names + " (default text)")->check(CLI::IsMember(formats));
  cmd->add_flag("--json", out.json, "Short for --format json");
  if (to_file) cmd->add_option("--output", out.output, "Write the result to this file instead of stdout");
  outputs.push_back({cmd, &out});
}

// --json is --format json; with another --format it is a contradiction, not a choice.
void fold_json_flag(OutputOptions& out) {
  if (!out.json) return;
  if (out.format != "text" && out.format != "json")
    throw usage_error(fmt::format("--json and --format {} contradict each other", out.format), "",
                      "Give one of them.");
  out.format = "json";
}

// Whether argv asks for JSON, for errors found before (or while) the options are parsed.
bool argv_wants_json(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--json" || a == "--format=json") return true;
    if (a == "--format" && i + 1 < argc && std::string_view(argv[i + 1]) == "json") return true;
  }
  return false;
}

// A failure under --json/--format json is still one JSON object on stdout, so a script that parses
// the output gets the error instead of nothing; the text report goes to stderr as always.
void print_error(const Error& e, bool json) {
  std::fprintf(stderr, "%s\n", e.report().c_str());
  if (!json) return;
  const nlohmann::json j{{"error", {{"message", e.primary()}, {"detail", e.detail()}, {"hint", e.hint()}}},
                         {"exit_code", static_cast<int>(e.code())}};
  std::printf("%s\n", json_text(j).c_str());
  std::fflush(stdout);
}

void add_scope_options(CLI::App* cmd, std::string& month, std::string& from, std::string& to) {
  cmd->add_option("--month", month, "The month, YYYY-MM");
  cmd->add_option("--from", from, "First day of a range, YYYY-MM-DD (with --to)");
  cmd->add_option("--to", to, "Last day of a range, YYYY-MM-DD (with --from)");
}

ProgressMode progress_mode(const std::string& s) {
  if (s == "bar") return ProgressMode::bar;
  if (s == "json") return ProgressMode::json;
  if (s == "none") return ProgressMode::none;
  return ProgressMode::auto_detect;
}

}  // namespace

// The output options belong to each command (add_output_options), so CLI11 would refuse them before
// the command's name (`sluice --json report`). Options work in any position: they are moved after
// everything else, where the command that was named takes them (or its parent, by fallthrough).
static std::vector<std::string> output_options_last(int argc, char** argv) {
  std::vector<std::string> rest, moved;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--json" || a.starts_with("--format=") || a.starts_with("--output=")) {
      moved.emplace_back(a);
    } else if ((a == "--format" || a == "--output") && i + 1 < argc) {
      moved.emplace_back(a);
      moved.emplace_back(argv[++i]);
    } else {
      rest.emplace_back(a);
    }
  }
  rest.insert(rest.end(), moved.begin(), moved.end());
  return rest;
}

static int run_command_line(int argc, char** argv, const MenuRunner& run_menu) {
  CLI::App app{"sluice: load, check and manage large monthly TSV/CSV files in PostgreSQL and Snowflake.\n"
               "Run `sluice demo` for a first look; `sluice <command> --help` for each command.",
               "sluice"};
  app.footer(kExitCodes);
  app.set_version_flag("--version", "sluice " + std::string(version()));
  app.require_subcommand(0, 1);
  // Global options work after the command too (`sluice load ... --config X --batch`): a subcommand
  // passes what it does not know to its parent. Set before the subcommands, which inherit it.
  app.fallthrough();
  std::vector<OutputBinding> outputs;

  GlobalOptions g;
  std::string progress = "auto";
  app.add_flag("--batch", g.batch, "Never prompt (for scripts); the default when not on a terminal");
  app.add_option("-c,--config", g.config_path, "Config file (default: $SLUICE_CONFIG, ./sluice.yaml, ./etc/sluice.yaml, "
                                               "~/.config/sluice/config.yaml)");
  app.add_option("--progress", progress, "Progress display: auto (bar on a terminal), bar, json (lines on stderr), none")
      ->check(CLI::IsMember({"auto", "bar", "json", "none"}));
  app.add_option("--log-level", g.log_level, "stderr log level (the log file always has debug)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_flag("-q,--quiet", g.quiet, "Only errors on stderr, no progress");

  // load
  LoadCommandOptions load;
  std::string qc = "file";
  auto* load_cmd = app.add_subcommand("load", "Load files into their tables: QC, COPY and history in one pass, all or nothing");
  load_cmd->add_option("--month", load.request.month, "Month to load, YYYY-MM: every table whose file_pattern matches a file "
                                                      "in --base-path; with --files, the month those files hold");
  load_cmd->add_option("--base-path", load.request.base_path, "Directory with the month's files (default: .)");
  load_cmd->add_option("--files", load.request.files, "Comma-separated files to load, matched to tables by file_pattern")->delimiter(',');
  load_cmd->add_option("--table", load.request.tables, "Only these tables (month mode), or the table for --files")->delimiter(',');
  load_cmd->add_option("--qc", qc, "file: full file QC gates the load (default); warehouse: the rows are staged and "
                                    "checked with validate's checks before they are published; none: structure checks only")
      ->check(CLI::IsMember({"file", "warehouse", "none"}));
  load_cmd->add_flag("--replace", load.request.replace, "Replace the rows of the file's date range (atomically)");
  load_cmd->add_flag("--append", load.request.append,
                     "Add the file's rows to rows the table already holds in its date range (without it, such a "
                     "load is refused)");
  load_cmd->add_flag("--create", load.request.create, "Create a missing table from the config's columns");
  load_cmd->add_flag("--dry-run", load.request.dry_run, "Scan and check the files only; touch no table");
  std::string on_error = "abort";
  load_cmd->add_option("--on-error", on_error, "abort: any bad row fails the file (default); skip: set bad rows aside "
                                               "in --reject-file and load the rest")
      ->check(CLI::IsMember({"abort", "skip"}));
  load_cmd->add_option("--max-errors", load.request.max_errors, "With skip: more bad rows than this in a file fail it (default 1000)");
  load_cmd->add_option("--reject-file", load.request.reject_file, "With skip: where bad rows go (file, line, reason, row)");
  std::size_t chunk_mb = 16;
  load_cmd->add_option("--chunk-mb", chunk_mb, "Chunk size in MiB (default 16)")->check(CLI::Range(1, 1024));
  load_cmd->add_option("--workers", load.request.pipeline.workers, "Scan threads (default: one per core)")->check(CLI::Range(0, 256));
  double stage_part_mb = 128;
  load_cmd->add_option("--stage-part-mb", stage_part_mb,
                       "Snowflake: compressed MiB per staged file (default 128; Snowflake suggests 100-250)")
      ->check(CLI::Range(0.01, 5120.0));
  load_cmd->add_option("--stage-uploads", load.request.staging.uploads_in_flight,
                       "Snowflake: staged files uploading at once (default 2); memory is about "
                       "(uploads + 1) x --stage-part-mb")
      ->check(CLI::Range(1, 64));
  add_output_options(outputs, load_cmd, load.out, {"text", "json"});

  // validate
  ValidateCommandOptions validate;
  auto* validate_table_cmd = app.add_subcommand(
      "validate", "Check what tables hold for a month, a range or all data: every day present, gaps, unusual days, "
                  "duplicate keys, NULLs in required columns, rows against the load history. Exit 3 when any fails");
  validate_table_cmd->add_option("--table", validate.tables, "Only these tables (default: every configured table)")->delimiter(',');
  add_scope_options(validate_table_cmd, validate.month, validate.from, validate.to);
  validate_table_cmd->add_flag("--no-record", validate.no_record, "Do not record the verdicts in sluice_validation_history");
  add_output_options(outputs, validate_table_cmd, validate.out);

  // delete, restore
  DeleteCommandOptions del;
  auto* delete_cmd = app.add_subcommand(
      "delete", "Delete a month or a date range from one or all configured tables, atomically; the rows are kept so "
                "`sluice restore JOB` can put them back. Shows a preview; on a terminal you type the table and range to "
                "confirm; --batch needs --yes");
  delete_cmd->add_option("--table", del.tables, "Only these tables (default: every configured table with a date_column)")->delimiter(',');
  add_scope_options(delete_cmd, del.month, del.from, del.to);
  delete_cmd->add_flag("--dry-run", del.dry_run, "Show the preview only; delete nothing");
  delete_cmd->add_flag("-y,--yes", del.yes, "Do not ask (required with --batch or when input is not a terminal)");
  add_output_options(outputs, delete_cmd, del.out, {"text", "json"});
  RestoreCommandOptions restore;
  auto* restore_cmd = app.add_subcommand("restore", "Put back the rows a `sluice delete` job removed (refused when the range holds rows again)");
  restore_cmd->add_option("job", restore.job, "The delete's job id (printed by sluice delete; see sluice jobs)")->required();
  restore_cmd->add_flag("--dry-run", restore.dry_run, "Say what would be restored; touch nothing");
  add_output_options(outputs, restore_cmd, restore.out, {"text", "json"});
  DeletesCommandOptions deletes;
  auto* deletes_cmd = app.add_subcommand(
      "deletes", "The deletes recorded for the configured tables, newest first, each restorable, reloaded (the range "
                 "holds rows again), restored or expired (backup gone, or past Snowflake's Time Travel retention)");
  deletes_cmd->add_option("--limit", deletes.limit, "At most this many tables' entries (default 50)")->check(CLI::Range(1, 100000));
  add_output_options(outputs, deletes_cmd, deletes.out, {"text", "json"});

  // report
  ReportCommandOptions report;
  auto* report_cmd = app.add_subcommand(
      "report", "What every configured table holds, across one or more configs: rows, columns, first and last day, "
                "rows per month, last load, last validation; the largest, empty and missing tables");
  report_cmd->add_option("configs", report.configs, "Config files (default: the current config)")->check(CLI::ExistingFile);
  report_cmd->add_option("--table", report.tables, "Only these tables")->delimiter(',');
  add_output_options(outputs, report_cmd, report.out);

  // compare
  CompareCommandOptions compare;
  auto* compare_cmd = app.add_subcommand(
      "compare", "Rows per day in a file against its table over the file's days, and the days that differ (exit 3 when they do)");
  compare_cmd->add_option("file", compare.file, "The file (plain, .gz or .zst)")->required();
  compare_cmd->add_option("--table", compare.table, "The table (default: the one whose file_pattern the name matches)");
  compare_cmd->add_option("--workers", compare.workers, "Scan threads (default: one per core)")->check(CLI::Range(0, 256));
  add_output_options(outputs, compare_cmd, compare.out);

  // config
  auto* config_cmd = app.add_subcommand("config", "Check or create a config file");
  config_cmd->require_subcommand(1);
  std::string validate_file, init_file = "etc/sluice.yaml";
  bool init_force = false;
  auto* validate_cmd = config_cmd->add_subcommand("validate", "Check a config file; errors name file:line:column");
  validate_cmd->add_option("file", validate_file, "Config file")->required();
  OutputOptions config_validate_out;
  add_output_options(outputs, validate_cmd, config_validate_out, {"text", "json"});
  auto* init_cmd = config_cmd->add_subcommand("init", "Write a commented example config (default etc/sluice.yaml)");
  init_cmd->add_option("file", init_file, "Where to write it");
  init_cmd->add_flag("--force", init_force, "Overwrite an existing file");
  ConfigGenerateOptions config_gen;
  auto* config_gen_cmd = config_cmd->add_subcommand(
      "generate", "Suggest a table entry per data file from one pass over it (format, columns, types, date column)");
  config_gen_cmd->add_option("files", config_gen.files, "Data files (plain, .gz or .zst)")->required();
  config_gen_cmd->add_option("--table", config_gen.table, "Table name (one file only; default: from the file name)");
  config_gen_cmd->add_option("-o,--out", config_gen.out, "Write a whole config (embedded target + the tables) here");
  config_gen_cmd->add_flag("--force", config_gen.force, "Overwrite --out if it exists");

  // analyze
  AnalyzeCommandOptions analyze;
  auto* analyze_cmd = app.add_subcommand(
      "analyze", "Profile a file in one pass: format, per column the type it needs and the type to declare, nulls, min/max, ~distinct, rows per day, the order of N/N/YYYY dates");
  analyze_cmd->add_option("file", analyze.file, "The file (plain, .gz or .zst)")->required();
  analyze_cmd->add_option("--table", analyze.table, "Read it as this config table and run its full file QC in the same pass");
  analyze_cmd->add_option("--date-column", analyze.date_column,
                          "Count rows per day of this column (name or number; default: the table's, else inferred)");
  analyze_cmd->add_flag("--sniff", analyze.sniff,
                        "Sniff the format even when a config table's file_pattern matches the file name");
  add_output_options(outputs, analyze_cmd, analyze.out, {"text", "json"});
  analyze_cmd->add_option("--workers", analyze.workers, "Scan threads (default: one per core)")->check(CLI::Range(0, 256));

  // compress
  CompressRequest compress;
  std::uint64_t split_mb = 0;
  auto* compress_cmd = app.add_subcommand(
      "compress", "Write a file as .zst in one pass (byte-identical to the input; .gz input is recompressed), "
                  "checking it on the way");
  compress_cmd->add_option("file", compress.input, "The file (plain, .gz or .zst)")->required();
  compress_cmd->add_option("-o,--out", compress.output, "Output (default: FILE.zst, FILE without .gz for a .gz input)");
  compress_cmd->add_option("--level", compress.level, "zstd level (default 3)")->check(CLI::Range(1, 19));
  compress_cmd->add_option("--workers", compress.workers, "Compression threads (default: one per core)")
      ->check(CLI::Range(0, 256));
  compress_cmd->add_option("--split-mb", split_mb, "Write parts OUT_000.zst, OUT_001.zst, ... of at most N MB each "
                                                   "(a Snowflake stage wants 100-250); with --table, the header row is left out")
      ->check(CLI::Range(1, 1000000));
  compress_cmd->add_option("--table", compress.table, "Run this config table's full file QC in the same pass; "
                                                      "the output is kept only when it passes");
  std::size_t compress_chunk_mb = 16;
  compress_cmd->add_option("--chunk-mb", compress_chunk_mb, "Chunk (and zstd frame) size in MiB (default 16)")
      ->check(CLI::Range(1, 1024));
  compress_cmd->add_flag("--check-fields", compress.check_fields,
                         "Without --table: check every row's field count against the first row's "
                         "(always done for CSV; costs TSV about a fifth more CPU)");
  compress_cmd->add_flag("--force", compress.force, "Replace an existing output");
  OutputOptions compress_out;
  add_output_options(outputs, compress_cmd, compress_out, {"text", "json"}, false);

  // db
  std::string db_action;
  OutputOptions db_out;
  auto* db_cmd = app.add_subcommand("db", "Manage the embedded PostgreSQL: start, stop, status, url");
  db_cmd->add_option("action", db_action, "start | stop | status | url")->required()
      ->check(CLI::IsMember({"start", "stop", "status", "url"}));
  add_output_options(outputs, db_cmd, db_out, {"text", "json"}, false);

  // migrate plan
  MigrateCommandOptions migrate;
  auto* migrate_cmd = app.add_subcommand(
      "migrate", "Copy tables from a SQLite file or a PostgreSQL database into PostgreSQL (the config's migrations:)");
  migrate_cmd->require_subcommand(1);
  auto* migrate_plan_cmd = migrate_cmd->add_subcommand(
      "plan", "The tables a migration copies, each column's PostgreSQL type and whether every value survives "
              "(exact, widened, lossy), values that will not fit, and the DDL; changes nothing. Exit 2 when the "
              "config must change first");
  auto* migrate_run_cmd = migrate_cmd->add_subcommand(
      "run", "Copy the tables in parallel chunks, each chunk once; killed or failed, the same command resumes "
             "(finished chunks are not copied again). A full table is swapped in only when complete");
  auto* migrate_verify_cmd = migrate_cmd->add_subcommand(
      "verify", "Prove the target holds the source's rows: range by range, the source is read again and compared with "
                "the target in PostgreSQL (a changed row, a missing one); exit 3 when they differ");
  auto* migrate_compare_cmd = migrate_cmd->add_subcommand(
      "compare", "The target's existing tables against the plan, schema only: columns missing, extra, of another type "
                 "or nullability; exit 3 on any difference");
  auto* migrate_status_cmd = migrate_cmd->add_subcommand(
      "status", "The newest run of a migration: each table's state, rows copied and chunks done or pending");
  for (auto* c : {migrate_plan_cmd, migrate_run_cmd, migrate_verify_cmd, migrate_compare_cmd, migrate_status_cmd}) {
    c->add_option("job", migrate.job, "The migration's name (default: the config's only one)");
    if (c != migrate_status_cmd) c->add_option("--table", migrate.table, "Only this source table");
    add_output_options(outputs, c, migrate.out, {"text", "json"});
  }
  migrate_run_cmd->add_flag("--restart", migrate.restart, "Abandon the job's unfinished run (its staging tables are dropped) and start over");
  migrate_run_cmd->add_flag("--append-again", migrate.append_again,
                            "Run an append this job already finished once more (its rows are added a second time)");
  migrate_run_cmd->add_flag("--dry-run", migrate.dry_run,
                            "Say what a run would insert, update and delete in each table (incremental: the window's rows "
                            "against the target's), writing nothing");
  migrate_run_cmd->add_option("--on-error", migrate.on_error, "abort: a value that does not fit stops its table (default); "
                                                              "skip: such rows go to --reject-file, the rest is copied")
      ->check(CLI::IsMember({"abort", "skip"}));
  migrate_run_cmd->add_option("--reject-file", migrate.reject_file, "With skip: where left-out rows go (default JOB.rejects.tsv)");
  migrate_run_cmd->add_option("--workers", migrate.workers, "Chunks copied at once (default: the job's workers:, else up to 4)")
      ->check(CLI::Range(1, 64));

  // stage list | clean
  StageCommandOptions stage;
  auto* stage_cmd = app.add_subcommand("stage", "The job directories on a Snowflake connection's S3 stage: list, clean");
  stage_cmd->require_subcommand(1);
  auto* stage_list_cmd = stage_cmd->add_subcommand(
      "list", "Each job directory on the stage: objects, bytes, unfinished uploads, newest object, the job's state");
  auto* stage_clean_cmd = stage_cmd->add_subcommand(
      "clean", "Remove the staged files and unfinished uploads of jobs that are not running (killed loads never "
               "resumed); shows a preview, then asks you to confirm; --batch needs --yes");
  for (auto* c : {stage_list_cmd, stage_clean_cmd}) {
    c->add_option("--connection", stage.connection, "The Snowflake connection (default: the target, else the only one)");
    c->add_option("--older-than", stage.older_than_days, "Only directories whose newest object is older than DAYS")
        ->check(CLI::Range(0.0, 100000.0));
    add_output_options(outputs, c, stage.out, {"text", "json"});
  }
  stage_clean_cmd->add_option("--job", stage.jobs, "Only these job directories (job ids)")->delimiter(',');
  stage_clean_cmd->add_flag("--dry-run", stage.dry_run, "Show what would be removed; remove nothing");
  stage_clean_cmd->add_flag("-y,--yes", stage.yes, "Do not ask (required with --batch or when input is not a terminal)");

  // jobs
  int jobs_limit = 20;
  OutputOptions jobs_out;
  auto* jobs_cmd = app.add_subcommand("jobs", "List recent jobs (loads, checks) from the job store");
  jobs_cmd->add_option("--limit", jobs_limit, "How many (default 20)")->check(CLI::Range(1, 100000));
  add_output_options(outputs, jobs_cmd, jobs_out, {"text", "json"}, false);

  // demo
  DemoOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "Generate a realistic sample month, load it with file QC into the embedded PostgreSQL, show the result");
  demo_cmd->add_option("--size-mb", demo.size_mb, "Size of the sample file in MB (default 300)")->check(CLI::Range(1, 1000000));
  demo_cmd->add_option("--month", demo.month, "Month the sample covers (default 2024-01)");
  demo_cmd->add_option("--dir", demo.dir, "Where to write the sample and its config (default: <data dir>/demo)");

  // generate (tests, benchmarks)
  GenerateOptions gen;
  auto* gen_cmd = app.add_subcommand("generate", "Write a deterministic, realistic fact file (for tests and benchmarks)");
  gen_cmd->add_option("--out", gen.out, "Output file")->required();
  gen_cmd->add_option("--month", gen.month, "Month the rows cover (default 2024-01)");
  gen_cmd->add_option("--rows", gen.rows, "Exactly this many rows");
  gen_cmd->add_option("--size-mb", gen.size_mb, "About this many MB");
  gen_cmd->add_option("--seed", gen.seed, "Random seed (default 42)");
  gen_cmd->add_flag("--header", gen.header, "Write a header row");
  gen_cmd->add_option("--skip-days", gen.skip_days, "Days of the month with no rows")->delimiter(',');
  gen_cmd->add_option("--ragged-line", gen.ragged_line, "Make this line one field short");
  gen_cmd->add_option("--bad-date-line", gen.bad_date_line, "Give this line an impossible date");
  gen_cmd->add_option("--duplicate-line", gen.duplicate_line, "Repeat the previous line's key on this line");
  gen_cmd->add_option("--config-out", gen.config_out, "Also write a config describing the file");
  gen_cmd->add_option("--table", gen.table, "Table name for --config-out");

  auto* menu_cmd = app.add_subcommand("menu", "The interactive menu (what `sluice` alone opens on a terminal)");

  try {
    std::vector<std::string> args = output_options_last(argc, argv);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(std::move(args));
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(usage_error(e.what(), "", "Run `sluice --help` (or `sluice <command> --help`)."),
                argv_wants_json(argc, argv));
    return static_cast<int>(ExitCode::usage);
  }
  bool json_errors = argv_wants_json(argc, argv);
  try {
    for (auto& o : outputs) fold_json_flag(*o.out);
  } catch (const Error& e) {
    print_error(e, true);
    return static_cast<int>(e.code());
  }
  for (const auto& o : outputs)
    if (o.command->parsed()) json_errors = o.out->is_json();

  const bool on_terminal = ::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO);
  if (app.get_subcommands().empty() && (g.batch || !on_terminal)) {
    std::cout << app.help();
    return 0;
  }

  g.progress = progress_mode(progress);
  try {
    if (*config_cmd && !*config_gen_cmd) {
      if (*validate_cmd) return run_config_validate(validate_file, config_validate_out);
      return run_config_init(init_file, init_force);
    }
    if (*db_cmd) return run_db_command(db_action, db_out.is_json());

    ApplicationContext ctx(g);
    g_cancellation = &ctx.cancellation();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    ctx.log().debug("sluice {}", fmt::join(argv + 1, argv + argc, " "));
    int rc = 0;
    if (app.get_subcommands().empty() || *menu_cmd) {
      if (g.batch || !on_terminal)
        throw usage_error("the menu needs a terminal", "stdin or stdout is not a terminal, or --batch was given",
                          "Run sluice in a terminal, or use the commands (`sluice --help`) in scripts.");
      rc = run_menu(ctx);
    } else if (*load_cmd) {
      load.request.qc = qc == "none" ? QcMode::none : qc == "warehouse" ? QcMode::warehouse : QcMode::file;
      load.request.on_error = on_error == "skip" ? OnError::skip : OnError::abort;
      load.request.pipeline.chunk_bytes = chunk_mb << 20;
      load.request.staging.part_bytes = static_cast<std::uint64_t>(stage_part_mb * (1 << 20));
      rc = run_load_command(ctx, load);
    } else if (*demo_cmd) {
      rc = run_demo_command(ctx, demo);
    } else if (*jobs_cmd) {
      rc = run_jobs_command(ctx, jobs_limit, jobs_out.is_json());
    } else if (*migrate_cmd) {
      rc = *migrate_run_cmd      ? run_migrate_run_command(ctx, migrate)
           : *migrate_status_cmd ? run_migrate_status_command(ctx, migrate)
           : *migrate_verify_cmd ? run_migrate_verify_command(ctx, migrate)
           : *migrate_compare_cmd ? run_migrate_compare_command(ctx, migrate)
                                 : run_migrate_plan_command(ctx, migrate);
    } else if (*stage_cmd) {
      stage.clean = static_cast<bool>(*stage_clean_cmd);
      rc = run_stage_command(ctx, stage);
    } else if (*gen_cmd) {
      rc = run_generate_command(ctx, gen);
    } else if (*compress_cmd) {
      // Past the file size limit (ulimit -f) a write should fail with EFBIG, which is reported and
      // cleaned up, instead of SIGXFSZ killing the process and leaving the temporary file.
      std::signal(SIGXFSZ, SIG_IGN);
      compress.split_bytes = split_mb * 1000 * 1000;
      compress.chunk_bytes = compress_chunk_mb << 20;
      rc = run_compress_command(ctx, compress, compress_out);
    } else if (*analyze_cmd) {
      rc = run_analyze_command(ctx, analyze);
    } else if (*delete_cmd) {
      rc = run_delete_command(ctx, del);
    } else if (*restore_cmd) {
      rc = run_restore_command(ctx, restore);
    } else if (*deletes_cmd) {
      rc = run_deletes_command(ctx, deletes);
    } else if (*report_cmd) {
      rc = run_report_command(ctx, report);
    } else if (*compare_cmd) {
      rc = run_compare_command(ctx, compare);
    } else if (*validate_table_cmd) {
      rc = run_validate_command(ctx, validate);
    } else if (*config_gen_cmd) {
      rc = run_config_generate_command(ctx, config_gen);
    }
    g_cancellation = nullptr;
    return rc;
  } catch (const Error& e) {
    g_cancellation = nullptr;
    print_error(e, json_errors);
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    g_cancellation = nullptr;
    print_error(runtime_error(e.what(), "", "This is a bug in sluice; the log in the state dir has details."), json_errors);
    return static_cast<int>(ExitCode::runtime);
  }
}

// A job the menu started records how its process ended, so the Jobs screen can tell a failure
// from a crash.
int run_cli(int argc, char** argv, const MenuRunner& run_menu) {
  JobOutputCapture output;  // a job begun here keeps its log and result for the menu
  const int rc = run_command_line(argc, argv, run_menu);
  output.finish(rc);
  if (const std::int64_t launch = current_launch_id()) {
    try {
      const auto state = Paths::from_environment().state_dir;
      JobStore(Paths::ensure(state) / "jobs.sqlite").finish_launch(launch, rc);
    } catch (const std::exception&) {
      // The menu shows the job as crashed; its log says what happened.
    }
  }
  return rc;
}

}  // namespace sluice
