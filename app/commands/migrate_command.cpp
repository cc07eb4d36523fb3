#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "app/commands/commands.h"
#include "app/config.h"
#include "app/embedded_postgres.h"
#include "app/output.h"
#include "core/error.h"
#include "core/text_format.h"
#include "jobs/job_log_adapter.h"
#include "operations/migrate_plan.h"
#include "operations/migrate_run.h"
#include "operations/migrate_sync.h"
#include "operations/migrate_verify.h"
#include "output/json_text.h"

namespace sluice {
namespace {

std::unique_ptr<TableSource> open_source(ApplicationContext& ctx, const MigrationSpec& job) {
  return open_table_source(ctx.config(), job, [&](const ConnectionSpec& c) { return ctx.postgres_conninfo(c); },
                           &ctx.cancellation());
}

using nlohmann::json;

std::string_view mode_name(MigrationMode m) {
  return m == MigrationMode::full ? "full" : m == MigrationMode::append ? "append" : "incremental";
}

// How a run writes the table, as plan says it.
std::string mode_text(const PlannedTable& t) {
  if (t.mode == MigrationMode::full) return "full: built apart, swapped in when complete";
  const std::string watermark = fmt::format("{}", fmt::join(t.watermark, ", "));
  if (t.mode == MigrationMode::append)
    return t.synced() ? fmt::format("append: the rows past the mark of {} are added each run", watermark)
                      : "append: rows are added chunk by chunk";
  return fmt::format("incremental: copied whole once, then the rows at or past the mark of {} upserted by key{}{}", watermark,
                     t.detect_deletes ? ", deletes detected" : "",
                     t.lookback ? fmt::format(", lookback {}", *t.lookback) : "");
}

json plan_json(const MigrationPlan& p) {
  json tables = json::array();
  for (const auto& t : p.tables) {
    json columns = json::array();
    for (const auto& c : t.columns)
      columns.push_back({{"source", c.source_name},
                         {"source_type", c.source_type},
                         {"target", c.target_name},
                         {"target_type", c.mapping.target_type},
                         {"nullable", c.nullable},
                         {"fidelity", to_string(c.mapping.fidelity)},
                         {"cast", c.mapping.cast},
                         {"note", c.mapping.note},
                         {"values_that_do_not_fit", c.misfits},
                         {"values_that_do_not_fit_note", c.misfit_note}});
    tables.push_back({{"source_table", t.source_table},
                      {"target_schema", t.target_schema},
                      {"target_table", t.target_table},
                      {"mode", mode_name(t.mode)},
                      {"watermark", t.watermark},
                      {"deletes", t.detect_deletes ? "detect" : "none"},
                      {"null_watermark", t.null_watermark == NullWatermark::include ? "include"
                                         : t.null_watermark == NullWatermark::skip  ? "skip"
                                                                                    : "fail"},
                      {"lookback", t.lookback ? json(*t.lookback) : json(nullptr)},
                      {"rows", t.rows_known ? json(t.rows) : json(nullptr)},
                      {"estimated_rows", t.rows},
                      {"chunk_by", t.chunk_by.empty() ? json(nullptr) : json(t.chunk_by)},
                      {"where", t.where.empty() ? json(nullptr) : json(t.where)},
                      {"columns", columns},
                      {"primary_key", t.primary_key},
                      {"create_sql", t.create_sql},
                      {"after_data_sql", t.after_data_sql},
                      {"problems", t.problems}});
  }
  return {{"migration", p.job},      {"source", p.source},
          {"source_kind", p.source_kind}, {"target", p.target},
          {"target_schema", p.target_schema}, {"workers", p.workers == 0 ? json(nullptr) : json(p.workers)},
          {"chunk_rows", p.chunk_rows}, {"runnable", p.runnable()},
          {"exit_code", p.runnable() ? 0 : 2}, {"tables", tables}};
}

std::string plan_text(const MigrationPlan& p) {
  std::string out = fmt::format("migration {}: {} \"{}\" -> postgres \"{}\", schema {}\n", p.job, p.source_kind, p.source,
                                p.target, p.target_schema);
  if (p.tables.empty()) out += "  no table of the source matches its tables: entries\n";
  for (const auto& t : p.tables) {
    out += fmt::format("\n{} -> {}.{}  ({} rows{}, {}{}{})\n", t.source_table, t.target_schema, t.target_table,
                       t.rows_known ? grouped(t.rows) : "about " + grouped(t.rows), t.where.empty() ? "" : " where " + t.where,
                       mode_text(t),
                       t.chunk_by.empty() ? "" : ", ranges by ", t.chunk_by);
    std::size_t wide_source = 6, wide_type = 11, wide_target = 6, wide_target_type = 11;
    for (const auto& c : t.columns) {
      wide_source = std::max(wide_source, c.source_name.size());
      wide_type = std::max(wide_type, c.source_type.size());
      wide_target = std::max(wide_target, c.target_name.size());
      wide_target_type = std::max(wide_target_type, c.mapping.target_type.size() + (c.nullable ? 0 : 9));
    }
    out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<8} {}\n", "column", wide_source, "source type", wide_type,
                       "target", wide_target, "target type", wide_target_type, "fidelity", "note");
    for (const auto& c : t.columns) {
      std::string note = c.mapping.note;
      if (c.misfits) note += (note.empty() ? "" : "; ") + fmt::format("WILL NOT FIT: {}", c.misfit_note);
      out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<8} {}\n", c.source_name, wide_source,
                         c.source_type.empty() ? "(none)" : c.source_type, wide_type, c.target_name, wide_target,
                         c.mapping.target_type + (c.nullable ? "" : " NOT NULL"), wide_target_type,
                         to_string(c.mapping.fidelity), note);
    }
    for (const auto& c : t.columns)
      if (c.misfits)
        out += fmt::format("  ! {}: {} cannot become {}: cast it (cast: {{ {}: text }}) or run with --on-error skip\n",
                           c.source_name, c.misfit_note, c.mapping.target_type, c.source_name);
    for (const auto& problem : t.problems) out += fmt::format("  PROBLEM: {}\n", problem);
    out += "  DDL:\n";
    for (std::size_t start = 0; start < t.create_sql.size();) {
      const std::size_t nl = t.create_sql.find('\n', start);
      out += "    " + t.create_sql.substr(start, nl - start) + (nl == std::string::npos ? ";\n" : "\n");
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    if (!t.after_data_sql.empty()) out += "    -- after the data:\n";
    for (const auto& sql : t.after_data_sql) out += "    " + sql + ";\n";
  }
  if (!p.runnable())
    out += "\nThe plan has problems (PROBLEM above): change the config, then plan again. Nothing was changed.\n";
  return out;
}

json run_json(const MigrateRunResult& r) {
  json tables = json::array();
  for (const auto& t : r.tables) {
    json table = {{"source_table", t.source_table}, {"target", t.target}, {"planned_rows", t.planned_rows},
                  {"copied_rows", t.copied_rows}, {"rejected_rows", t.rejected_rows}, {"chunks", t.chunks},
                  {"chunks_done_before", t.chunks_done_before}, {"done", t.done}, {"done_before", t.done_before},
                  {"error", t.error.empty() ? json(nullptr) : json(t.error)}};
    if (!t.sync.empty()) {
      table["sync"] = t.sync;
      table["inserted_rows"] = t.inserted_rows;
      table["updated_rows"] = t.updated_rows;
      table["deleted_rows"] = t.deleted_rows;
      table["mark"] = t.mark.empty() ? json(nullptr) : json::parse(t.mark);
    }
    tables.push_back(std::move(table));
  }
  return {{"run", r.run_id}, {"resumed", r.resumed}, {"ok", r.ok()}, {"seconds", r.seconds}, {"tables", tables}};
}

std::string run_text(const std::string& job, const MigrateRunResult& r) {
  std::string out = fmt::format("migration {}, run {}{}:\n", job, r.run_id, r.resumed ? " (resumed)" : "");
  for (const auto& t : r.tables) {
    out += fmt::format("  {} -> {}: ", t.source_table, t.target);
    if (t.done_before) out += fmt::format("done earlier ({} rows)\n", grouped(t.copied_rows));
    else if (t.done && t.sync == "sync")
      out += fmt::format("synced: {} rows read, {} inserted, {} updated, {} deleted; mark {}\n", grouped(t.copied_rows),
                         grouped(t.inserted_rows), grouped(t.updated_rows), grouped(t.deleted_rows),
                         t.mark.empty() ? "none yet" : t.mark);
    else if (t.done)
      out += fmt::format("{} rows in {} chunk{}{}{}\n", grouped(t.copied_rows), t.chunks, t.chunks == 1 ? "" : "s",
                         t.chunks_done_before ? fmt::format(" ({} copied before)", t.chunks_done_before) : "",
                         t.rejected_rows ? fmt::format("; {} rows left out (reject file)", grouped(t.rejected_rows)) : "");
    else out += fmt::format("NOT DONE ({} of {} rows copied)\n    {}\n", grouped(t.copied_rows), grouped(t.planned_rows), t.error);
  }
  if (!r.ok()) out += "Rerun the same command to resume: finished chunks are not copied again.\n";
  return out;
}

}  // namespace

static int run_migrate_dry_run(ApplicationContext& ctx, const MigrateCommandOptions& options, const MigrationSpec& job) {
  const Config& config = ctx.config();
  const MigrationPreview p =
      preview_migration(config, job, [&] { return open_source(ctx, job); }, ctx.postgres_conninfo(config.connections.at(job.target)),
                        options.table, ctx.cancellation());
  bool ok = true;
  if (options.out.is_json()) {
    json tables = json::array();
    for (const auto& t : p.tables) {
      ok = ok && t.error.empty();
      tables.push_back({{"source_table", t.source_table}, {"target", t.target}, {"kind", t.kind}, {"rows", t.rows},
                        {"would_insert", t.would_insert}, {"would_update", t.would_update}, {"would_delete", t.would_delete},
                        {"window_from", t.mark_from.empty() ? json(nullptr) : json::parse(t.mark_from)},
                        {"window_to", t.mark_to.empty() ? json(nullptr) : json::parse(t.mark_to)},
                        {"error", t.error.empty() ? json(nullptr) : json(t.error)}});
    }
    emit(json_text({{"migration", p.job}, {"dry_run", true}, {"tables", tables}}) + "\n", options.out.output);
  } else {
    std::string out = fmt::format("migration {}, dry run (nothing was written):\n", p.job);
    for (const auto& t : p.tables) {
      ok = ok && t.error.empty();
      out += fmt::format("  {} -> {}: ", t.source_table, t.target);
      if (!t.error.empty()) out += fmt::format("CANNOT TELL\n    {}\n", t.error);
      else if (t.kind == "sync")
        out += fmt::format("sync of {} rows (watermark {} .. {}): would insert {}, update {}, delete {}\n", grouped(t.rows),
                           t.mark_from.empty() ? "start" : t.mark_from, t.mark_to.empty() ? "end" : t.mark_to,
                           grouped(t.would_insert), grouped(t.would_update), grouped(t.would_delete));
      else
        out += fmt::format("{} copy of {} rows{}\n", t.kind == "initial" ? "first (whole)" : t.kind, grouped(t.rows),
                           t.would_delete ? fmt::format(", replacing the {} rows there", grouped(t.would_delete)) : "");
    }
    emit(out, options.out.output);
  }
  return ok ? 0 : static_cast<int>(ExitCode::qc_failed);
}

int run_migrate_run_command(ApplicationContext& ctx, const MigrateCommandOptions& options) {
  const Config& config = ctx.config();
  const MigrationSpec& job = find_migration(config, options.job);
  if (options.dry_run) return run_migrate_dry_run(ctx, options, job);
  const ConnectionSpec& target = config.connections.at(job.target);
  MigrateRunRequest req;
  req.only_table = options.table;
  req.restart = options.restart;
  req.append_again = options.append_again;
  req.skip_bad_rows = options.on_error == "skip";
  req.reject_file = options.reject_file.empty() ? std::filesystem::path(fmt::format("{}.rejects.tsv", job.name)) : options.reject_file;
  req.workers = options.workers;
  JobStoreLog jobs(ctx.jobs());
  MigrateRun run(
      config, job, [&] { return open_source(ctx, job); },
      [&] { return ctx.postgres_conninfo(target); }, jobs, ctx.progress(), ctx.cancellation());
  const MigrateRunResult r = run.run(req);
  if (options.out.is_json()) emit(json_text(run_json(r)) + "\n", options.out.output);
  else emit(run_text(job.name, r), options.out.output);
  if (r.ok()) return 0;
  for (const auto& t : r.tables)
    if (t.value_problem) return static_cast<int>(ExitCode::qc_failed);
  return static_cast<int>(ExitCode::runtime);
}

int run_migrate_verify_command(ApplicationContext& ctx, const MigrateCommandOptions& options) {
  const Config& config = ctx.config();
  const MigrationSpec& job = find_migration(config, options.job);
  const VerifyResult r = verify_migration(
      config, job, [&] { return open_source(ctx, job); },
      ctx.postgres_conninfo(config.connections.at(job.target)), options.table, ctx.progress(), ctx.cancellation());
  if (options.out.is_json()) {
    json tables = json::array();
    for (const auto& t : r.tables) {
      json ranges = json::array();
      for (const auto& v : t.differing)
        ranges.push_back({{"range", v.label}, {"source_rows", v.source_rows}, {"target_rows", v.target_rows},
                          {"only_in_source", v.only_in_source}, {"only_in_target", v.only_in_target}, {"keys", v.keys}});
      tables.push_back({{"source_table", t.source_table}, {"target", t.target}, {"target_exists", t.target_exists},
                        {"same", t.same()}, {"source_rows", t.source_rows}, {"target_rows", t.target_rows},
                        {"rows_that_do_not_fit", t.unfit_rows}, {"ranges", t.ranges},
                        {"ranges_by_fingerprint", t.fingerprinted_ranges}, {"differing_ranges", ranges}});
    }
    emit(json_text({{"migration", r.job}, {"same", r.same()}, {"exit_code", r.same() ? 0 : 3}, {"tables", tables}}) + "\n",
         options.out.output);
  } else {
    std::string out = fmt::format("migration {}: {}\n", r.job, r.same() ? "source and target hold the same rows" : "DIFFERENCES");
    for (const auto& t : r.tables) {
      if (!t.target_exists) {
        out += fmt::format("  {} -> {}: the target table does not exist (sluice migrate run {})\n", t.source_table, t.target, r.job);
        continue;
      }
      out += fmt::format("  {} -> {}: {} source rows, {} target rows in {} range{}{}: {}\n", t.source_table, t.target,
                         grouped(t.source_rows), grouped(t.target_rows), t.ranges, t.ranges == 1 ? "" : "s",
                         t.fingerprinted_ranges ? fmt::format(" ({} by fingerprint)", t.fingerprinted_ranges) : "",
                         t.same() ? "same" : fmt::format("{} range{} differ", t.differing.size(), t.differing.size() == 1 ? "" : "s"));
      if (t.unfit_rows)
        out += fmt::format("    {} source rows have a value their column cannot take (left out by --on-error skip)\n", grouped(t.unfit_rows));
      for (const auto& v : t.differing)
        out += fmt::format("    {}: {} rows only in the source, {} only in the target{}\n", v.label, v.only_in_source,
                           v.only_in_target, v.keys.empty() ? "" : fmt::format(" (keys {})", fmt::join(v.keys, ", ")));
    }
    emit(out, options.out.output);
  }
  return r.same() ? 0 : static_cast<int>(ExitCode::qc_failed);
}

int run_migrate_compare_command(ApplicationContext& ctx, const MigrateCommandOptions& options) {
  const Config& config = ctx.config();
  const MigrationSpec& job = find_migration(config, options.job);
  auto source = open_source(ctx, job);
  const SchemaComparison r = compare_migration_schema(config, job, *source,
                                                      ctx.postgres_conninfo(config.connections.at(job.target)), options.table);
  if (options.out.is_json()) {
    json tables = json::array();
    for (const auto& t : r.tables) {
      json diffs = json::array();
      for (const auto& d : t.differences)
        diffs.push_back({{"column", d.column}, {"problem", d.problem}, {"planned", d.planned}, {"actual", d.actual}});
      tables.push_back({{"source_table", t.source_table}, {"target", t.target}, {"target_exists", t.target_exists},
                        {"same", t.same()}, {"differences", diffs}});
    }
    emit(json_text({{"migration", r.job}, {"same", r.same()}, {"exit_code", r.same() ? 0 : 3}, {"tables", tables}}) + "\n",
         options.out.output);
  } else {
    std::string out = fmt::format("migration {}: {}\n", r.job,
                                  r.same() ? "the target's tables match the plan" : "the target's tables differ from the plan");
    for (const auto& t : r.tables) {
      if (!t.target_exists) out += fmt::format("  {} -> {}: no such table in the target\n", t.source_table, t.target);
      else if (t.same()) out += fmt::format("  {} -> {}: same columns, types and nullability\n", t.source_table, t.target);
      else out += fmt::format("  {} -> {}:\n", t.source_table, t.target);
      for (const auto& d : t.differences) {
        if (d.problem == "missing in the target") out += fmt::format("    {}: missing in the target (planned {})\n", d.column, d.planned);
        else if (d.problem == "only in the target") out += fmt::format("    {}: only in the target ({})\n", d.column, d.actual);
        else out += fmt::format("    {}: {} {} planned, {} in the target\n", d.column, d.problem, d.planned, d.actual);
      }
    }
    emit(out, options.out.output);
  }
  return r.same() ? 0 : static_cast<int>(ExitCode::qc_failed);
}

std::vector<std::string> migration_sync_marks(ApplicationContext& ctx, const std::filesystem::path& config_path,
                                              const std::string& job_name) {
  const Config config = load_config(config_path);
  const MigrationSpec& job = find_migration(config, job_name);
  std::vector<std::string> synced;  // the entries that sync by watermark, as the config names them
  for (const auto& rule : job.tables)
    if (!rule.watermark.empty()) synced.push_back(rule.pattern);
  if (synced.empty()) return {};
  std::vector<std::string> lines = {"Incremental tables (each sync starts from its mark):"};
  const ConnectionSpec& target = config.connections.at(job.target);
  if (target.postgres() && target.postgres()->embedded && !ctx.embedded_postgres().status().running) {
    lines.push_back(fmt::format("  {}: the embedded PostgreSQL is not running, so their marks cannot be read", fmt::join(synced, ", ")));
    return lines;
  }
  // The menu's backend thread waits for this: a target that does not answer must not hold it long.
  std::string conninfo = ctx.postgres_conninfo(target);
  if (conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://"))
    conninfo += conninfo.find('?') == std::string::npos ? "?connect_timeout=5" : "&connect_timeout=5";
  else
    conninfo += " connect_timeout=5";
  const MigrationStatus s = migration_status(conninfo, job.name);
  for (const auto& m : s.marks)
    lines.push_back(fmt::format("  {} -> {}: {} at {} (run {}, {})", m.source_table, m.target, fmt::join(m.watermark, ", "),
                                m.mark.empty() ? "none yet" : m.mark, m.run_id, m.updated_at));
  for (const auto& name : synced)
    if (std::none_of(s.marks.begin(), s.marks.end(), [&](const auto& m) { return ascii_lower(m.source_table) == ascii_lower(name); }))
      lines.push_back(fmt::format("  {}: no mark yet (its first run copies it whole)", name));
  return lines;
}

int run_migrate_status_command(ApplicationContext& ctx, const MigrateCommandOptions& options) {
  const Config& config = ctx.config();
  const MigrationSpec& job = find_migration(config, options.job);
  const MigrationStatus s = migration_status(ctx.postgres_conninfo(config.connections.at(job.target)), job.name);
  if (options.out.is_json()) {
    json tables = json::array();
    for (const auto& t : s.tables)
      tables.push_back({{"source_table", t.source_table}, {"target", t.target}, {"status", t.status},
                        {"planned_rows", t.planned_rows}, {"copied_rows", t.copied_rows}, {"rejected_rows", t.rejected_rows},
                        {"chunks_done", t.chunks_done}, {"chunks_pending", t.chunks_pending}});
    json marks = json::array(), syncs = json::array();
    for (const auto& m : s.marks)
      marks.push_back({{"source_table", m.source_table}, {"target", m.target}, {"watermark", m.watermark},
                       {"mark", m.mark.empty() ? json(nullptr) : json::parse(m.mark)}, {"run", m.run_id}, {"updated_at", m.updated_at}});
    for (const auto& r : s.syncs)
      syncs.push_back({{"run", r.run_id}, {"source_table", r.source_table}, {"kind", r.kind}, {"finished_at", r.finished_at},
                       {"read_rows", r.read_rows}, {"inserted_rows", r.inserted_rows}, {"updated_rows", r.updated_rows},
                       {"deleted_rows", r.deleted_rows}});
    emit(json_text({{"migration", job.name}, {"run", s.has_run ? json(s.run_id) : json(nullptr)},
                    {"status", s.has_run ? json(s.status) : json("never run")}, {"started_at", s.started_at},
                    {"finished_at", s.finished_at}, {"tables", tables}, {"marks", marks}, {"syncs", syncs}}) + "\n",
         options.out.output);
    return 0;
  }
  std::string out;
  if (!s.has_run) {
    out = fmt::format("migration {}: never run (sluice migrate run {})\n", job.name, job.name);
  } else {
    out = fmt::format("migration {}, run {}: {} (started {}{})\n", job.name, s.run_id, s.status, s.started_at,
                      s.finished_at.empty() ? "" : ", finished " + s.finished_at);
    for (const auto& t : s.tables)
      out += fmt::format("  {} -> {}: {}, {} of {} rows, chunks {} done / {} pending{}\n", t.source_table, t.target, t.status,
                         grouped(t.copied_rows), grouped(t.planned_rows), t.chunks_done, t.chunks_pending,
                         t.rejected_rows ? fmt::format(", {} left out", grouped(t.rejected_rows)) : "");
    if (!s.marks.empty()) out += "incremental tables (the mark each sync starts from):\n";
    for (const auto& m : s.marks)
      out += fmt::format("  {} -> {}: watermark {} at {} (run {}, {})\n", m.source_table, m.target, fmt::join(m.watermark, ", "),
                         m.mark.empty() ? "none yet" : m.mark, m.run_id, m.updated_at);
    if (!s.syncs.empty()) out += "recent runs of them:\n";
    for (const auto& r : s.syncs)
      out += r.kind == "initial"
                 ? fmt::format("  run {} {}: copied whole, {} rows ({})\n", r.run_id, r.source_table, grouped(r.read_rows), r.finished_at)
                 : fmt::format("  run {} {}: {} read, {} inserted, {} updated, {} deleted ({})\n", r.run_id, r.source_table,
                               grouped(r.read_rows), grouped(r.inserted_rows), grouped(r.updated_rows), grouped(r.deleted_rows),
                               r.finished_at);
  }
  emit(out, options.out.output);
  return 0;
}

int run_migrate_plan_command(ApplicationContext& ctx, const MigrateCommandOptions& options) {
  const Config& config = ctx.config();
  const MigrationSpec& job = find_migration(config, options.job);
  auto source = open_source(ctx, job);
  const MigrationPlan plan = plan_migration(config, job, *source, options.table);
  if (options.out.is_json()) emit(json_text(plan_json(plan)) + "\n", options.out.output);
  else emit(plan_text(plan), options.out.output);
  return plan.runnable() ? 0 : static_cast<int>(ExitCode::usage);
}

}  // namespace sluice
