#include "operations/migrate_run.h"

#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/text_format.h"
#include "loaders/postgres/copy_in_sink.h"
#include "operations/job_json.h"
#include "operations/migrate_sync.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/postgres/dialect.h"

namespace sluice {
namespace {

constexpr const char* kStateDdl = R"sql(
CREATE SCHEMA IF NOT EXISTS sluice_migrate;
CREATE TABLE IF NOT EXISTS sluice_migrate.runs (
  run_id bigserial PRIMARY KEY, job text NOT NULL, config_hash text NOT NULL, status text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz);
CREATE TABLE IF NOT EXISTS sluice_migrate.tables (
  run_id bigint NOT NULL REFERENCES sluice_migrate.runs, source_table text NOT NULL,
  target_schema text NOT NULL, target_table text NOT NULL, staging_table text, mode text NOT NULL,
  planned_rows bigint NOT NULL, copied_rows bigint NOT NULL DEFAULT 0, rejected_rows bigint NOT NULL DEFAULT 0,
  status text NOT NULL, finished_at timestamptz, PRIMARY KEY (run_id, source_table));
ALTER TABLE sluice_migrate.tables ADD COLUMN IF NOT EXISTS signature text;
ALTER TABLE sluice_migrate.tables ADD COLUMN IF NOT EXISTS source_snapshot text;
CREATE TABLE IF NOT EXISTS sluice_migrate.chunks (
  run_id bigint NOT NULL, source_table text NOT NULL, chunk_no int NOT NULL, range_column text,
  range_first bigint, range_last bigint, status text NOT NULL, rows bigint, rejected_rows bigint,
  done_at timestamptz, PRIMARY KEY (run_id, source_table, chunk_no));
ALTER TABLE sluice_migrate.chunks ADD COLUMN IF NOT EXISTS inserted_rows bigint;
ALTER TABLE sluice_migrate.chunks ADD COLUMN IF NOT EXISTS updated_rows bigint;
ALTER TABLE sluice_migrate.tables ADD COLUMN IF NOT EXISTS window_json text;
ALTER TABLE sluice_migrate.tables ADD COLUMN IF NOT EXISTS deleted_rows bigint;
CREATE TABLE IF NOT EXISTS sluice_migrate.marks (
  job text NOT NULL, source_table text NOT NULL, target_schema text NOT NULL, target_table text NOT NULL,
  watermark text NOT NULL, mark text, run_id bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, source_table));
ALTER TABLE sluice_migrate.marks ADD COLUMN IF NOT EXISTS basis text;
)sql";

std::string relation(const std::string& schema, const std::string& table) {
  return pg::quote_identifier(schema) + "." + pg::quote_identifier(table);
}

// How a run writes a table's rows.
enum class Writing {
  replace,  // into a staging table swapped in at the end (full mode, an incremental table's first copy)
  append,   // into the table, chunk by chunk
  upsert,   // through a temporary table merged by key (an incremental table's sync)
};

// Progress from several workers, drawn by one. The bytes still to come are estimated from the
// rows still to come at the bytes per row so far, so the bar has a percentage and an ETA.
class SharedProgress {
 public:
  SharedProgress(ProgressSink& sink, std::string table, std::uint64_t planned_rows, std::size_t chunks_done,
                 std::size_t chunks)
      : sink_(sink), table_(std::move(table)), planned_rows_(planned_rows), chunks_done_(chunks_done), chunks_(chunks) {}
  void add(std::uint64_t rows, std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    rows_ += rows;
    bytes_ += bytes;
    ++chunks_done_;
    const std::uint64_t total =
        rows_ > 0 && planned_rows_ > rows_ ? bytes_ + (planned_rows_ - rows_) * (bytes_ / rows_) : bytes_;
    const std::string subject = fmt::format("{} ({}/{} chunks)", table_, chunks_done_, chunks_);
    sink_.update({"copy", subject, bytes_, total, rows_});
  }

 private:
  ProgressSink& sink_;
  std::string table_;
  std::uint64_t planned_rows_;
  std::size_t chunks_done_, chunks_;
  std::uint64_t rows_ = 0, bytes_ = 0;
  std::mutex mutex_;
};

struct Chunk {
  int number = 0;
  SourceRange range;
};

std::string rejects_line(const ValueProblem& p) {
  std::string line;
  for (const std::string* field : {&p.table, &p.row, &p.column, &p.reason, &p.value}) {
    if (!line.empty()) line += '\t';
    append_copy_escaped(line, *field);
  }
  return line + "\n";
}

}  // namespace

bool MigrateRunResult::ok() const {
  return std::all_of(tables.begin(), tables.end(), [](const MigratedTable& t) { return t.done; });
}

MigrationStatus migration_status(const std::string& target_conninfo, const std::string& job) {
  MigrationStatus s;
  pg::Connection conn = pg::Connection::open(target_conninfo, "sluice migrate status");
  if (conn.query("SELECT to_regclass('sluice_migrate.runs') IS NOT NULL").get(0, 0) != "t") return s;
  auto run = conn.query("SELECT run_id, status, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ'), "
                        "coalesce(to_char(finished_at, 'YYYY-MM-DD HH24:MI:SS TZ'), '') FROM sluice_migrate.runs "
                        "WHERE job = $1 ORDER BY run_id DESC LIMIT 1",
                        {job});
  if (run.rows() == 0) return s;
  s.has_run = true;
  s.run_id = run.get_int(0, 0);
  s.status = std::string(run.get(0, 1));
  s.started_at = std::string(run.get(0, 2));
  s.finished_at = std::string(run.get(0, 3));
  // A run whose process is gone (killed) still reads "running": its lock says otherwise.
  if (s.status == "running" &&
      conn.query("SELECT pg_try_advisory_lock(hashtext('sluice_migrate:' || $1))", {job}).get(0, 0) == "t") {
    conn.query("SELECT pg_advisory_unlock(hashtext('sluice_migrate:' || $1))", {job});
    s.status = "interrupted";
  }
  auto tables = conn.query(
      "SELECT t.source_table, t.target_schema || '.' || t.target_table, t.status, t.planned_rows, "
      "coalesce(sum(c.rows), 0), coalesce(sum(c.rejected_rows), 0), count(*) FILTER (WHERE c.status = 'done'), "
      "count(*) FILTER (WHERE c.status <> 'done') FROM sluice_migrate.tables t LEFT JOIN sluice_migrate.chunks c "
      "USING (run_id, source_table) WHERE t.run_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY 1",
      {std::to_string(s.run_id)});
  for (int r = 0; r < tables.rows(); ++r)
    s.tables.push_back({std::string(tables.get(r, 0)), std::string(tables.get(r, 1)), std::string(tables.get(r, 2)),
                        static_cast<std::uint64_t>(tables.get_int(r, 3)), static_cast<std::uint64_t>(tables.get_int(r, 4)),
                        static_cast<std::uint64_t>(tables.get_int(r, 5)), static_cast<std::size_t>(tables.get_int(r, 6)),
                        static_cast<std::size_t>(tables.get_int(r, 7))});
  if (conn.query("SELECT to_regclass('sluice_migrate.marks') IS NOT NULL").get(0, 0) != "t") return s;
  auto marks = conn.query("SELECT source_table, target_schema || '.' || target_table, coalesce(mark, ''), watermark, run_id, "
                          "to_char(updated_at, 'YYYY-MM-DD HH24:MI:SS TZ') FROM sluice_migrate.marks WHERE job = $1 ORDER BY 1",
                          {job});
  for (int r = 0; r < marks.rows(); ++r)
    s.marks.push_back({std::string(marks.get(r, 0)), std::string(marks.get(r, 1)), std::string(marks.get(r, 2)),
                       nlohmann::json::parse(std::string(marks.get(r, 3))).get<std::vector<std::string>>(), marks.get_int(r, 4),
                       std::string(marks.get(r, 5))});
  auto syncs = conn.query(
      "SELECT t.run_id, t.source_table, t.mode, coalesce(to_char(t.finished_at, 'YYYY-MM-DD HH24:MI:SS TZ'), ''), "
      "coalesce(sum(c.rows), 0), coalesce(sum(c.inserted_rows), 0), coalesce(sum(c.updated_rows), 0), coalesce(t.deleted_rows, 0) "
      "FROM sluice_migrate.tables t JOIN sluice_migrate.runs r USING (run_id) LEFT JOIN sluice_migrate.chunks c USING (run_id, source_table) "
      "WHERE r.job = $1 AND t.mode IN ('initial', 'sync') AND t.status = 'done' GROUP BY 1, 2, 3, 4, 8 ORDER BY 1 DESC, 2 LIMIT 20",
      {job});
  for (int r = 0; r < syncs.rows(); ++r)
    s.syncs.push_back({syncs.get_int(r, 0), std::string(syncs.get(r, 1)), std::string(syncs.get(r, 2)), std::string(syncs.get(r, 3)),
                       static_cast<std::uint64_t>(syncs.get_int(r, 4)), static_cast<std::uint64_t>(syncs.get_int(r, 5)),
                       static_cast<std::uint64_t>(syncs.get_int(r, 6)), static_cast<std::uint64_t>(syncs.get_int(r, 7))});
  return s;
}

namespace {
std::string xxh3_of(const nlohmann::json& j) {
  const std::string text = job_json(j);
  return fmt::format("xxh3:{:016x}", XXH3_64bits(text.data(), text.size()));
}
}  // namespace

std::string migration_config_hash(const MigrationPlan& plan) {
  // Where the job's rows go and how they are cut: a run resumed under a different one could mix
  // two migrations. What each table holds is its own signature (table_signature), so a run of one
  // table (--table) is resumed by a run of the whole job.
  return xxh3_of({{"format", 2}, {"job", plan.job}, {"source", plan.source}, {"target", plan.target},
                  {"schema", plan.target_schema}, {"chunk_rows", plan.chunk_rows}});
}

std::string table_signature(const PlannedTable& t) {
  nlohmann::json columns = nlohmann::json::array();
  for (const auto& c : t.columns) columns.push_back({c.source_name, c.target_name, c.mapping.target_type});
  return xxh3_of({{"source", t.source_table}, {"target", t.target_table}, {"mode", t.mode == MigrationMode::full},
                  {"where", t.where}, {"chunk_by", t.chunk_by}, {"columns", columns}, {"watermark", t.watermark},
                  {"key", t.primary_key}, {"nulls", static_cast<int>(t.null_watermark)}});
}

MigrateRun::MigrateRun(const Config& config, const MigrationSpec& job, SourceFactory open_source,
                       std::function<std::string()> target_conninfo, JobLog& jobs, ProgressSink& progress,
                       const Cancellation& cancel)
    : config_(config), job_(job), open_source_(std::move(open_source)), target_conninfo_(std::move(target_conninfo)),
      jobs_(jobs), progress_(progress), cancel_(cancel) {}

MigrateRunResult MigrateRun::run(const MigrateRunRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  MigrateRunResult result;
  std::unique_ptr<TableSource> planning_source = open_source_();
  const MigrationPlan plan = plan_migration(config_, job_, *planning_source, req.only_table, PlanReading::types_only);
  require_runnable(plan);
  const std::string hash = migration_config_hash(plan);
  const std::string conninfo = target_conninfo_();
  pg::Connection conn = pg::Connection::open(conninfo, "sluice migrate");

  conn.exec("BEGIN");
  conn.query("SELECT pg_advisory_xact_lock(hashtext('sluice_migrate'))");
  conn.exec(kStateDdl);
  conn.exec(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", pg::quote_identifier(plan.target_schema)));
  conn.exec("COMMIT");
  // One run of a job at a time: held by this session until it ends (a killed run's ends with it).
  if (conn.query("SELECT pg_try_advisory_lock(hashtext('sluice_migrate:' || $1))", {job_.name}).get(0, 0) != "t")
    throw runtime_error(fmt::format("migration \"{}\" is already running", job_.name), conn.describe(),
                        "Wait for it to finish (sluice migrate status shows its progress).");

  // Resume the job's unfinished run, or start one.
  auto open = conn.query("SELECT run_id, config_hash FROM sluice_migrate.runs WHERE job = $1 AND status IN ('running', 'failed') "
                         "ORDER BY run_id DESC LIMIT 1",
                         {job_.name});
  if (open.rows() > 0) {
    const std::int64_t old_run = open.get_int(0, 0);
    if (req.restart) {
      auto staging = conn.query("SELECT target_schema, staging_table FROM sluice_migrate.tables WHERE run_id = $1 "
                                "AND staging_table IS NOT NULL AND status <> 'done'",
                                {std::to_string(old_run)});
      for (int r = 0; r < staging.rows(); ++r)
        conn.exec(fmt::format("DROP TABLE IF EXISTS {}", relation(std::string(staging.get(r, 0)), std::string(staging.get(r, 1)))));
      conn.query("UPDATE sluice_migrate.runs SET status = 'abandoned', finished_at = now() WHERE run_id = $1", {std::to_string(old_run)});
    } else if (open.get(0, 1) != hash) {
      throw usage_error(fmt::format("migration \"{}\" has an unfinished run ({}) made with another config", job_.name, old_run),
                        "its tables, columns, types or chunking differ from the config's now",
                        "Rerun with --restart to abandon it (its staging tables are dropped) and start over.");
    } else {
      result.run_id = old_run;
      result.resumed = true;
    }
  }
  // An append that already happened: running it again would add every row a second time.
  if (result.run_id == 0 && !req.append_again) {
    for (const auto& t : plan.tables) {
      if (t.mode != MigrationMode::append || t.synced()) continue;  // (a watermark appends only what is new)
      auto done = conn.query("SELECT r.run_id, to_char(r.finished_at, 'YYYY-MM-DD HH24:MI') FROM sluice_migrate.runs r "
                             "JOIN sluice_migrate.tables t USING (run_id) WHERE r.job = $1 AND t.source_table = $2 "
                             "AND t.status = 'done' AND t.mode = 'append' ORDER BY r.run_id DESC LIMIT 1",
                             {job_.name, t.source_table});
      if (done.rows() > 0)
        throw usage_error(fmt::format("migration \"{}\" already appended {} to {}.{} (run {}, {})", job_.name, t.source_table,
                                      t.target_schema, t.target_table, done.get(0, 0), done.get(0, 1)),
                          "running it again would add every row a second time",
                          "To add the rows again on purpose, pass --append-again; to replace the table, use mode: full.");
    }
  }
  // Another job's unfinished run writing one of these tables.
  for (const auto& t : plan.tables) {
    auto other = conn.query("SELECT r.job, r.run_id FROM sluice_migrate.runs r JOIN sluice_migrate.tables t USING (run_id) "
                            "WHERE r.status IN ('running', 'failed') AND r.job <> $1 AND t.target_schema = $2 "
                            "AND t.target_table = $3 AND t.status <> 'done' LIMIT 1",
                            {job_.name, t.target_schema, t.target_table});
    if (other.rows() > 0)
      throw usage_error(fmt::format("{}.{} is being written by migration \"{}\" (run {})", t.target_schema, t.target_table,
                                    other.get(0, 0), other.get(0, 1)),
                        fmt::format("migration \"{}\" would write it too", job_.name),
                        fmt::format("Let that run finish, or abandon it (sluice migrate run {} --restart), or give this "
                                    "table another target_table.", other.get(0, 0)));
  }
  if (result.run_id == 0)
    result.run_id = conn.query("INSERT INTO sluice_migrate.runs (job, config_hash, status) VALUES ($1, $2, 'running') RETURNING run_id",
                               {job_.name, hash})
                        .get_int(0, 0);
  else
    conn.query("UPDATE sluice_migrate.runs SET status = 'running' WHERE run_id = $1", {std::to_string(result.run_id)});
  const std::string run = std::to_string(result.run_id);

  nlohmann::json args = {{"migration", job_.name}, {"run", result.run_id}, {"resumed", result.resumed},
                         {"tables", plan.tables.size()}};
  const std::int64_t job_id = jobs_.begin_job("migrate", fmt::format("migrate {} (run {})", job_.name, result.run_id), job_json(args));

  std::string first_error;
  std::mutex reject_mutex;
  std::FILE* rejects = nullptr;
  if (req.skip_bad_rows) {
    rejects = std::fopen(req.reject_file.c_str(), "a");
    if (!rejects)
      throw runtime_error(fmt::format("cannot open the reject file {}", req.reject_file.string()), errno_text(errno),
                          "Check the directory exists and is writable, or pass another --reject-file.");
  }
  const int workers = req.workers > 0 ? req.workers
                      : job_.workers > 0 ? job_.workers
                                         : static_cast<int>(std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 4));

  for (const PlannedTable& t : plan.tables) {
    MigratedTable out;
    out.source_table = t.source_table;
    out.target = t.target_schema + "." + t.target_table;
    auto state = conn.query("SELECT status, planned_rows, coalesce(signature, ''), mode FROM sluice_migrate.tables "
                            "WHERE run_id = $1 AND source_table = $2",
                            {run, t.source_table});
    // An incremental table is copied whole until a run has left its mark, then synced; what this
    // run does with it was decided when it planned the table.
    const std::optional<nlohmann::json> mark = t.synced() ? last_mark(conn, job_.name, t) : std::nullopt;
    Writing writing = t.mode == MigrationMode::full ? Writing::replace : Writing::append;
    if (t.mode == MigrationMode::incremental) writing = mark ? Writing::upsert : Writing::replace;
    if (state.rows() > 0)
      writing = state.get(0, 3) == "full" || state.get(0, 3) == "initial" ? Writing::replace
                : state.get(0, 3) == "sync"                                 ? Writing::upsert
                                                                            : Writing::append;
    if (t.mode == MigrationMode::incremental) out.sync = writing == Writing::upsert ? "sync" : "initial";
    const std::string staging =
        writing == Writing::replace ? fmt::format("{}__sluice_mig_{}", t.target_table, result.run_id) : t.target_table;
    const std::string into = relation(t.target_schema, staging);
    const std::string signature = table_signature(t);
    if (state.rows() > 0 && state.get(0, 0) != "done" && state.get(0, 2) != signature) {
      out.error = fmt::format("{} changed in the config (columns, types, where, chunk_by or mode) since run {} began "
                              "copying it: rerun with --restart to copy it again",
                              t.source_table, result.run_id);
      conn.query("UPDATE sluice_migrate.tables SET status = 'failed' WHERE run_id = $1 AND source_table = $2", {run, t.source_table});
      if (first_error.empty()) first_error = out.error;
      result.tables.push_back(std::move(out));
      continue;
    }
    if (state.rows() > 0 && state.get(0, 0) == "done") {
      out.done = out.done_before = true;
      auto counts = conn.query("SELECT coalesce(sum(rows), 0), coalesce(sum(rejected_rows), 0), count(*) FROM sluice_migrate.chunks "
                               "WHERE run_id = $1 AND source_table = $2",
                               {run, t.source_table});
      out.copied_rows = static_cast<std::uint64_t>(counts.get_int(0, 0));
      out.rejected_rows = static_cast<std::uint64_t>(counts.get_int(0, 1));
      out.chunks = out.chunks_done_before = static_cast<std::size_t>(counts.get_int(0, 2));
      out.planned_rows = static_cast<std::uint64_t>(state.get_int(0, 1));
      result.tables.push_back(out);
      continue;
    }
    std::vector<Chunk> chunks;
    // The table as every read of this run sees it: at the snapshot pinned when the run planned it.
    PlannedTable planned = t;
    try {
      if (state.rows() == 0) {
        // First time for this table in this run: pin the source's snapshot, count, cut into ranges
        // and record them, once, so a resumed run copies exactly these ranges of that snapshot.
        planned.source.snapshot = planning_source->pin_snapshot(planned.source);
        if (t.synced()) planned.source.window = plan_window(*planning_source, t, planned.source, mark);
        std::uint64_t rows = 0;
        // A sync's window is merged by every worker at once (a merge is one core's work).
        const std::vector<SourceRange> ranges = plan_table_ranges(*planning_source, planned, plan.chunk_rows, rows,
                                                                  writing == Writing::upsert ? static_cast<std::size_t>(workers) : 1);
        conn.exec("BEGIN");
        if (writing == Writing::replace) conn.exec(fmt::format("DROP TABLE IF EXISTS {}", into));
        conn.exec(fmt::format("CREATE TABLE IF NOT EXISTS {} ({}\n)", into, t.column_sql));
        const char* mode_name = t.mode == MigrationMode::incremental ? (writing == Writing::upsert ? "sync" : "initial")
                                : writing == Writing::replace           ? "full"
                                                                        : "append";
        conn.query("INSERT INTO sluice_migrate.tables (run_id, source_table, target_schema, target_table, staging_table, mode, "
                   "planned_rows, status, signature, source_snapshot, window_json) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, 'copying', $8, $9, $10)",
                   {run, t.source_table, t.target_schema, t.target_table,
                    writing == Writing::replace ? std::optional<std::string>(staging) : std::nullopt, mode_name,
                    std::to_string(rows), signature,
                    planned.source.snapshot.empty() ? std::nullopt : std::optional<std::string>(planned.source.snapshot),
                    planned.source.window ? std::optional<std::string>(window_json(*planned.source.window).dump()) : std::nullopt});
        for (std::size_t i = 0; i < ranges.size(); ++i)
          conn.query("INSERT INTO sluice_migrate.chunks (run_id, source_table, chunk_no, range_column, range_first, range_last, status) "
                     "VALUES ($1, $2, $3, $4, $5, $6, 'pending')",
                     {run, t.source_table, std::to_string(i),
                      ranges[i].column.empty() ? std::nullopt : std::optional<std::string>(ranges[i].column),
                      std::to_string(ranges[i].first), std::to_string(ranges[i].last)});
        conn.exec("COMMIT");
      }
      auto recorded = conn.query("SELECT planned_rows, coalesce(source_snapshot, ''), window_json FROM sluice_migrate.tables "
                                 "WHERE run_id = $1 AND source_table = $2",
                                 {run, t.source_table});
      out.planned_rows = static_cast<std::uint64_t>(recorded.get_int(0, 0));
      planned.source.snapshot = std::string(recorded.get(0, 1));
      if (!recorded.is_null(0, 2)) planned.source.window = window_of(nlohmann::json::parse(std::string(recorded.get(0, 2))));
      if (state.rows() == 0) pause_after_window_for_test();
      planned.source.estimated_rows = out.planned_rows;
      auto rows = conn.query("SELECT chunk_no, range_column, range_first, range_last, status FROM sluice_migrate.chunks "
                             "WHERE run_id = $1 AND source_table = $2 ORDER BY chunk_no",
                             {run, t.source_table});
      for (int r = 0; r < rows.rows(); ++r) {
        ++out.chunks;
        if (rows.get(r, 4) == "done") {
          ++out.chunks_done_before;
          continue;
        }
        Chunk c;
        c.number = static_cast<int>(rows.get_int(r, 0));
        c.range.column = std::string(rows.get(r, 1));
        c.range.first = rows.get_int(r, 2);
        c.range.last = rows.get_int(r, 3);
        chunks.push_back(c);
      }
    } catch (const std::exception&) {
      conn.abandon_transaction();
      throw;
    }

    // The chunks left, by `workers` threads, each with its own source and connection.
    progress_.begin("copy", fmt::format("{} -> {}", t.source_table, out.target), 0);
    // The rows still to copy: a resumed table has some in chunks done before.
    const auto before = static_cast<std::uint64_t>(
        conn.query("SELECT coalesce(sum(rows) + sum(rejected_rows), 0) FROM sluice_migrate.chunks WHERE run_id = $1 "
                   "AND source_table = $2 AND status = 'done'",
                   {run, t.source_table})
            .get_int(0, 0));
    SharedProgress shared(progress_, fmt::format("{} -> {}", t.source_table, out.target),
                          out.planned_rows > before ? out.planned_rows - before : 0, out.chunks_done_before, out.chunks);
    std::atomic<std::size_t> next{0};
    std::mutex error_mutex;
    std::string table_error;
    bool table_qc_error = false;
    Cancellation stop(&cancel_);
    std::string column_list;
    for (const auto& c : t.columns) column_list += (column_list.empty() ? "" : ", ") + pg::quote_identifier(c.target_name);
    // Binary rows only into a table this run created with the source's types (a full table's
    // staging table): an existing table's column could take the same bytes as another type.
    const bool binary = writing == Writing::replace && planning_source->copies_binary(planned.source);
    planned.source.binary = binary;
    const int thread_count = std::max(1, std::min<int>(workers, static_cast<int>(chunks.size())));
    const auto worker = [&] {
      try {
        std::unique_ptr<TableSource> source = open_source_();
        pg::Connection wconn = pg::Connection::open(conninfo, "sluice migrate worker");
        // A source that can start a range early (Snowflake unloads it while this one is copied)
        // gets this worker's next chunk before the current one is copied, as long as more chunks
        // are left than workers (else another worker would sit idle).
        for (std::size_t i = next++; !stop.cancelled() && i < chunks.size();) {
          std::optional<std::size_t> early;
          if (source->prepares_ranges() && next.load() + static_cast<std::size_t>(thread_count) < chunks.size()) {
            if (const std::size_t j = next++; j < chunks.size()) {
              early = j;
              source->prepare_range(planned.source, chunks[j].range);
            }
          }
          const Chunk& chunk = chunks[i];
          std::vector<ValueProblem> problems;
          ValueProblemHandler handler;
          if (req.skip_bad_rows) handler = [&](const ValueProblem& p) { problems.push_back(p); };
          wconn.exec("BEGIN");
          try {
            if (writing == Writing::upsert)
              wconn.exec(fmt::format("CREATE TEMP TABLE sluice_sync ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA", column_list, into));
            wconn.copy_begin(fmt::format("COPY {} ({}) FROM STDIN{}", writing == Writing::upsert ? "sluice_sync" : into, column_list,
                                         binary ? " (FORMAT binary)" : ""));
            CopyInSink sink(wconn);
            NullProgress quiet;
            const std::uint64_t read = source->read_range(planned.source, chunk.range, sink, 4u << 20, quiet, stop, handler);
            sink.finish();
            const std::uint64_t copied = wconn.copy_end();
            if (copied != read)
              throw runtime_error(fmt::format("{} {}: {} rows read but {} copied", t.source_table, chunk.range.label(), read, copied));
            std::optional<std::string> inserted, updated;
            if (writing == Writing::upsert) {
              const auto [ins, upd] = merge_by_key(wconn, t, into, chunk.range);
              inserted = std::to_string(ins);
              updated = std::to_string(upd);
            }
            auto marked = wconn.query("UPDATE sluice_migrate.chunks SET status = 'done', rows = $4, rejected_rows = $5, done_at = now(), "
                                      "inserted_rows = $6, updated_rows = $7 "
                                      "WHERE run_id = $1 AND source_table = $2 AND chunk_no = $3 AND status <> 'done'",
                                      {run, t.source_table, std::to_string(chunk.number), std::to_string(copied),
                                       std::to_string(problems.size()), inserted, updated});
            if (marked.affected_rows() != 1) {
              wconn.exec("ROLLBACK");  // another process copied it meanwhile: keep theirs
            } else {
              wconn.exec("COMMIT");
              // Only rows of a committed chunk reach the reject file, so a retried chunk writes its once.
              if (rejects && !problems.empty()) {
                std::lock_guard lock(reject_mutex);
                for (const auto& p : problems) std::fputs(rejects_line(p).c_str(), rejects);
                std::fflush(rejects);
              }
              shared.add(copied, sink.bytes());
            }
          } catch (...) {
            wconn.abandon_transaction();
            throw;
          }
          i = early ? *early : next++;
        }
      } catch (const Error& e) {
        std::lock_guard lock(error_mutex);
        if (table_error.empty()) {
          table_error = e.report();
          table_qc_error = e.code() == ExitCode::qc_failed;
        }
        stop.cancel();
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex);
        if (table_error.empty()) table_error = e.what();
        stop.cancel();
      }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < thread_count; ++i) threads.emplace_back(worker);
    for (auto& th : threads) th.join();

    auto counts = conn.query("SELECT coalesce(sum(rows), 0), coalesce(sum(rejected_rows), 0), count(*) FILTER (WHERE status <> 'done'), "
                             "coalesce(sum(inserted_rows), 0), coalesce(sum(updated_rows), 0) "
                             "FROM sluice_migrate.chunks WHERE run_id = $1 AND source_table = $2",
                             {run, t.source_table});
    out.copied_rows = static_cast<std::uint64_t>(counts.get_int(0, 0));
    out.rejected_rows = static_cast<std::uint64_t>(counts.get_int(0, 1));
    out.inserted_rows = static_cast<std::uint64_t>(counts.get_int(0, 3));
    out.updated_rows = static_cast<std::uint64_t>(counts.get_int(0, 4));
    const bool all_done = counts.get_int(0, 2) == 0;
    if (table_error.empty() && cancel_.cancelled()) table_error = "cancelled: rerun the same command to resume";
    if (table_error.empty() && all_done && out.copied_rows + out.rejected_rows != out.planned_rows)
      table_error = fmt::format("{} rows copied and {} left out, but the source held {} when the run planned it: the source "
                                "changed during the migration; rerun with --restart to copy it again",
                                out.copied_rows, out.rejected_rows, out.planned_rows);
    if (table_error.empty() && all_done) {
      try {
        if (writing == Writing::upsert && t.detect_deletes) {
          progress_.note(fmt::format("{}: comparing keys with the source to find rows deleted there", t.source_table));
          delete_missing_keys(*planning_source, conn, t, planned.source, plan.chunk_rows, run, false, cancel_);
          out.deleted_rows = static_cast<std::uint64_t>(
              conn.query("SELECT coalesce(deleted_rows, 0) FROM sluice_migrate.tables WHERE run_id = $1 AND source_table = $2",
                         {run, t.source_table})
                  .get_int(0, 0));
        }
        // Keys and indexes after the data, on the staging table under names of its own; then one
        // short transaction swaps it in and gives them the final names.
        conn.exec("SET maintenance_work_mem = '1GB'");
        std::vector<std::pair<std::string, std::string>> index_names;  // built name -> final name
        if (writing == Writing::replace) {
          std::string cols;
          if (!t.primary_key.empty()) {
            for (const auto& k : t.primary_key) cols += (cols.empty() ? "" : ", ") + pg::quote_identifier(k);
            conn.exec(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})", into, pg::quote_identifier(staging + "_pkey"), cols));
            index_names.emplace_back(staging + "_pkey", t.target_table + "_pkey");
          }
          for (const auto& index : t.indexes) {
            std::string icols;
            for (const auto& c : index.columns) icols += (icols.empty() ? "" : ", ") + pg::quote_identifier(c);
            const std::string built = fmt::format("{}__sluice_mig_{}", index.name, result.run_id);
            conn.exec(fmt::format("CREATE {}INDEX {} ON {} ({})", index.unique ? "UNIQUE " : "", pg::quote_identifier(built), into, icols));
            index_names.emplace_back(built, index.name);
          }
        }
        if (writing != Writing::upsert) conn.exec(fmt::format("ANALYZE {}", into));  // (a sync's few rows: autovacuum's)
        conn.exec("BEGIN");
        if (writing == Writing::replace) {
          const std::string target = relation(t.target_schema, t.target_table);
          conn.exec(fmt::format("DROP TABLE IF EXISTS {}", target));
          conn.exec(fmt::format("ALTER TABLE {} RENAME TO {}", into, pg::quote_identifier(t.target_table)));
          for (const auto& [built, final_name] : index_names)
            conn.exec(fmt::format("ALTER INDEX {} RENAME TO {}", relation(t.target_schema, built), pg::quote_identifier(final_name)));
        }
        conn.query("UPDATE sluice_migrate.tables SET status = 'done', copied_rows = $3, rejected_rows = $4, finished_at = now() "
                   "WHERE run_id = $1 AND source_table = $2",
                   {run, t.source_table, std::to_string(out.copied_rows), std::to_string(out.rejected_rows)});
        // The mark moves with the rows it covers: every chunk of the window is committed, and this
        // transaction commits the table's end. It never moves back (a window without rows).
        if (planned.source.window) {
          const WatermarkWindow& w = *planned.source.window;
          std::optional<std::string> new_mark;
          if (!w.to.empty()) new_mark = nlohmann::json(w.to).dump();
          else if (mark && !mark->is_null()) new_mark = mark->dump();
          record_mark(conn, job_.name, t, new_mark, run);
          out.mark = new_mark.value_or("");
        }
        conn.exec("COMMIT");
        out.done = true;
      } catch (const Error& e) {
        conn.abandon_transaction();
        table_error = e.report();
      }
    }
    if (!table_error.empty()) {
      out.error = table_error;
      out.value_problem = table_qc_error;
      conn.query("UPDATE sluice_migrate.tables SET status = 'failed' WHERE run_id = $1 AND source_table = $2", {run, t.source_table});
      if (first_error.empty()) first_error = fmt::format("{}: {}", t.source_table, table_error);
    }
    progress_.end(out.done, fmt::format("{} rows{}", grouped(out.copied_rows),
                                        out.rejected_rows ? fmt::format(", {} left out", grouped(out.rejected_rows)) : ""));
    result.tables.push_back(std::move(out));
    if (cancel_.cancelled()) break;
  }
  if (rejects) std::fclose(rejects);
  try {
    planning_source->remove_leftovers();  // no worker reads now, and no other run of the job can (the lock)
  } catch (const Error& e) {
    progress_.note(fmt::format("could not remove the files the reads left: {}", e.primary()));
  }
  conn.query("UPDATE sluice_migrate.runs SET status = $2, finished_at = CASE WHEN $2 = 'done' THEN now() END WHERE run_id = $1",
             {run, result.ok() ? "done" : "failed"});
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json summary = {{"run", result.run_id}, {"ok", result.ok()}};
  jobs_.finish_job(job_id, result.ok() ? JobStatus::succeeded : JobStatus::failed, job_json(summary), first_error);
  return result;
}

}  // namespace sluice
