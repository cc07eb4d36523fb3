#include "operations/delete_operation.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"
#include "operations/job_json.h"
#include "operations/table_sql.h"
#include "operations/trash.h"
#include "warehouse/load_history.h"

namespace sluice {

std::uint64_t DeleteSummary::range_rows() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.range_rows;
  return n;
}

std::uint64_t DeleteSummary::rows_deleted() const {
  std::uint64_t n = 0;
  for (const auto& t : tables) n += t.rows_deleted;
  return n;
}

DeleteOperation::DeleteOperation(const Config& config, WarehouseOpener open, JobLog& jobs, ProgressSink& progress)
    : config_(config), pool_(std::move(open)), jobs_(jobs), progress_(progress) {}

DeleteSummary DeleteOperation::preview(const DeleteRequest& req) {
  if (!req.scope.range)
    throw usage_error("delete needs a month or a range", "", "Give --month YYYY-MM, or --from and --to.");
  const bool named = !req.tables.empty();
  DeleteSummary s;
  s.scope = req.scope;
  for (const TableSpec* spec : select_tables(config_, req.tables)) {
    if (spec->date_column.empty()) {
      if (named)
        throw usage_error(fmt::format("table {} has no date_column, so it has no days to delete", spec->table),
                          spec->position.str(), "Add date_column: to the table's config entry.");
      s.skipped.push_back(fmt::format("{}: no date_column", spec->table));
      continue;
    }
    const ConnectionSpec& conn = config_.connection_for(*spec);
    Warehouse& w = pool_.get(conn);
    const TableSql t(w.dialect(), *spec, w.schema());
    if (!w.table_exists(w.schema(), spec->table)) {
      if (named)
        throw usage_error(fmt::format("table {} does not exist", t.display_name()),
                          fmt::format("the config entry at {} names it", spec->position.str()), "Check the table name and the connection's schema.");
      s.skipped.push_back(fmt::format("{}: table {} does not exist", spec->table, t.display_name()));
      continue;
    }
    TableDelete d;
    d.spec = spec;
    d.table = spec->table;
    d.target = t.display_name();
    d.connection = conn.name;
    const RowsByDay rows = t.rows_by_day(w, req.scope.range);
    d.range_rows = rows.rows;
    d.rows_per_day = rows.days;
    d.table_rows = static_cast<std::uint64_t>(w.query(fmt::format("SELECT count(*) FROM {}", t.relation())).integer(0, 0));
    s.tables.push_back(std::move(d));
  }
  if (s.tables.empty() && s.skipped.empty())
    throw usage_error("no table to delete from", "", "Name a configured table with --table.");
  return s;
}

void DeleteOperation::execute(DeleteSummary& plan) {
  const DateRange range = *plan.scope.range;
  nlohmann::json args{{"scope", plan.scope.label}, {"tables", nlohmann::json::array()}};
  for (const auto& t : plan.tables) args["tables"].push_back(t.target);
  plan.job_id = jobs_.begin_job("delete", fmt::format("{} from {} table(s)", plan.scope.label, plan.tables.size()), job_json(args));

  // Connections in the order their first table comes; all their transactions commit at the end.
  std::vector<std::pair<Warehouse*, std::vector<TableDelete*>>> groups;
  for (auto& t : plan.tables) {
    if (t.range_rows == 0) continue;
    Warehouse* w = &pool_.get(config_.connection_for(*t.spec));
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == w; });
    if (it == groups.end()) it = groups.insert(groups.end(), {w, {}});
    it->second.push_back(&t);
  }
  auto rollback_all = [&] {
    for (auto& [w, tables] : groups) w->rollback();
  };
  // With Time Travel each DELETE is its own statement, committed when it returns: a later failure
  // cannot undo it, so the error must say what is gone and how to get it back.
  std::vector<std::string> done_already;
  try {
    for (auto& [w, tables] : groups) {
      const bool time_travel = w->dialect().supports_time_travel();
      ensure_trash(*w);
      w->ensure_load_history();  // a history from before deletes were recorded gets its operation column
      LoadHistory history(*w);
      if (!time_travel) w->begin();
      for (TableDelete* d : tables) {
        progress_.begin("delete", d->target, 0);
        const TableSql t(w->dialect(), *d->spec, w->schema());
        if (!time_travel) w->lock_table(w->schema(), d->spec->table);
        const RowsByDay now = t.rows_by_day(*w, range);
        if (now.rows != d->range_rows)
          throw runtime_error(fmt::format("{} changed since the preview: {} rows in {} now, {} then", d->target, grouped(now.rows),
                                          plan.scope.label, grouped(d->range_rows)),
                              "nothing was deleted", "Run the command again to see the new preview.");
        SqlParams p(w->dialect());
        const std::string where = t.in_range(range, now, p);
        TrashEntry e;
        e.job_id = plan.job_id;
        e.source_schema = w->dialect().fold(w->schema());
        e.source_table = t.folded_table();
        e.range = range;
        if (time_travel) {
          // One statement, atomic on its own; its id is the way back.
          const SqlResult r = w->query(fmt::format("DELETE FROM {} WHERE {}", t.relation(), where), p.list());
          d->rows_deleted = r.affected;
          e.statement_id = r.statement_id;
          done_already.push_back(fmt::format("{}: {} rows by statement {}", d->target, grouped(r.affected), r.statement_id));
        } else {
          e.backup_table = choose_backup_name(*w, t.folded_table(), plan.job_id);
          const std::string backup = w->dialect().qualified(kTrashSchema, e.backup_table);
          const std::uint64_t kept =
              w->query(fmt::format("CREATE TABLE {} AS SELECT * FROM {} WHERE {}", backup, t.relation(), where), p.list()).affected;
          d->rows_deleted = w->query(fmt::format("DELETE FROM {} WHERE {}", t.relation(), where), p.list()).affected;
          if (kept != d->rows_deleted || kept != now.rows)
            throw runtime_error(fmt::format("{}: {} rows kept in the backup but {} deleted", d->target, kept, d->rows_deleted),
                                "nothing was deleted", "This should not happen: report it with the log.");
        }
        e.rows = static_cast<std::int64_t>(d->rows_deleted);
        d->backup = trash_display(e);
        record_trash(*w, e);
        history.add(d->spec->table, "delete", 0, e.rows, range, plan.job_id, fmt::format("sluice delete {}", plan.scope.label));
        progress_.end(true, fmt::format("{} rows", grouped(d->rows_deleted)));
      }
    }
    for (auto& [w, tables] : groups)
      if (w->in_transaction()) w->commit();
    plan.executed = true;
  } catch (const Error& e) {
    rollback_all();
    for (auto& t : plan.tables) {
      t.rows_deleted = 0;
      t.backup.clear();
    }
    if (done_already.empty()) {
      jobs_.finish_job(plan.job_id, JobStatus::failed, "{}", "nothing was deleted");
      throw;
    }
    std::string list;
    for (const auto& d : done_already) list += "\n  " + d;
    jobs_.finish_job(plan.job_id, JobStatus::failed, "{}", fmt::format("{} table(s) deleted before the failure", done_already.size()));
    throw Error(e.code(), e.primary(),
                (e.detail().empty() ? "" : e.detail() + "\n") + "deleted before the failure (each DELETE commits on its own):" + list,
                fmt::format("sluice restore {} puts back what the log recorded (Time Travel); a statement not in "
                            "sluice_trash.deletes can be undone with INSERT ... SELECT ... BEFORE(STATEMENT => '<id>').",
                            plan.job_id));
  } catch (...) {
    rollback_all();
    for (auto& t : plan.tables) {
      t.rows_deleted = 0;
      t.backup.clear();
    }
    jobs_.finish_job(plan.job_id, JobStatus::failed, "{}", done_already.empty() ? "nothing was deleted" : "some tables were deleted");
    throw;
  }
  nlohmann::json done = nlohmann::json::array();
  for (const auto& t : plan.tables)
    done.push_back({{"table", t.table}, {"target", t.target}, {"connection", t.connection}, {"rows_deleted", t.rows_deleted},
                    {"backup", t.backup}});
  jobs_.finish_job(plan.job_id, JobStatus::succeeded, job_json({{"scope", plan.scope.label}, {"tables", done}}), "");
}

std::string delete_confirmation_text(const std::string& table, const std::string& scope_label) {
  return table + " " + scope_label;
}

bool delete_confirmation_matches(const std::string& typed_line, const std::string& table, const std::string& scope_label) {
  // Exactly as shown, capitals included: the point is that the person reads what is deleted.
  return collapse_whitespace(typed_line) == delete_confirmation_text(table, scope_label);
}

}  // namespace sluice
