#include "operations/restore_operation.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"
#include "operations/job_json.h"
#include "operations/table_sql.h"
#include "operations/trash.h"
#include "warehouse/load_history.h"

namespace sluice {
namespace {

struct Item {
  Warehouse* w = nullptr;
  const TableSpec* spec = nullptr;
  TrashEntry entry;
  TableRestore* out = nullptr;
};

// Puts one table's rows back; inside the connection's transaction (or, with Time Travel, as one
// statement).
void restore_one(Item& it, std::int64_t restore_job) {
  Warehouse& w = *it.w;
  const Dialect& d = w.dialect();
  const TableSql t(d, *it.spec, w.schema());
  const TrashEntry& e = it.entry;
  const bool time_travel = e.backup_table.empty();
  if (!time_travel) w.lock_table(w.schema(), it.spec->table);
  const RowsByDay now = t.rows_by_day(w, e.range);
  auto refilled = [&](const std::string& how_many) {
    return usage_error(fmt::format("{} holds {} rows in {} again: restoring job {} would double them", t.display_name(), how_many,
                                   e.range.str(), e.job_id),
                       fmt::format("job {} deleted {} rows at {}; the range has been loaded again since", e.job_id,
                                   grouped(static_cast<std::uint64_t>(e.rows)), e.deleted_at),
                       fmt::format("To put the deleted rows back instead, delete the range first (sluice delete --table {} "
                                   "--from {} --to {}), then restore again. Nothing was restored.",
                                   it.spec->table, format_iso(e.range.first), format_iso(e.range.last)));
  };
  if (now.rows > 0) throw refilled(grouped(now.rows));
  SqlParams p(d);
  std::uint64_t restored = 0;
  if (time_travel) {
    if (!t.has_date() || t.date_column().type.is_textual())
      throw usage_error(fmt::format("{}: Time Travel restore needs a date, timestamp or YYYYMMDD date column", t.display_name()),
                        "", "Restore the rows with the warehouse's own tools (statement " + e.statement_id + ").");
    const std::string before = d.before_statement(t.relation(), p.add(e.statement_id));
    const std::string where = t.in_range(e.range, now, p);
    // No lock spans two statements here, so the INSERT itself re-checks that the range is still
    // empty: a load that filled it since the check above makes it insert nothing.
    const std::string still_empty = t.in_range(e.range, now, p);
    try {
      restored = w.query(fmt::format("INSERT INTO {rel} SELECT * FROM {} WHERE {} AND NOT EXISTS (SELECT 1 FROM {rel} WHERE {})",
                                     before, where, still_empty, fmt::arg("rel", t.relation())),
                         p.list())
                     .affected;
    } catch (const Error& err) {
      if (!d.is_time_travel_expired(err)) throw;
      throw runtime_error(fmt::format("the rows job {} deleted from {} are past the Time Travel retention", e.job_id, t.display_name()),
                          fmt::format("deleted at {} by statement {}; {}", e.deleted_at, e.statement_id, err.primary()),
                          "Time Travel keeps changes for the table's DATA_RETENTION_TIME_IN_DAYS (1 day by default); "
                          "beyond it only Snowflake support can recover them from Fail-safe. Nothing was restored.");
    }
    if (restored == 0 && e.rows > 0) throw refilled("some");
  } else {
    if (!w.table_exists(kTrashSchema, e.backup_table))
      throw runtime_error(fmt::format("the backup {} of job {} is gone", trash_display(e), e.job_id),
                          "someone dropped it; nothing was restored", "The rows cannot be restored by sluice.");
    std::string cols;
    for (const auto& c : w.columns(kTrashSchema, e.backup_table)) cols += (cols.empty() ? "" : ", ") + d.quote(c);
    restored = w.query(fmt::format("INSERT INTO {} ({cols}) SELECT {cols} FROM {}", t.relation(),
                                   d.qualified(kTrashSchema, e.backup_table), fmt::arg("cols", cols)))
                   .affected;
    if (restored != static_cast<std::uint64_t>(e.rows))
      throw runtime_error(fmt::format("{}: the backup {} holds {} rows but job {} deleted {}", t.display_name(), trash_display(e),
                                      restored, e.job_id, e.rows),
                          "nothing was restored", "The backup was changed by hand; inspect it before restoring.");
    w.query(fmt::format("DROP TABLE {}", d.qualified(kTrashSchema, e.backup_table)));
  }
  mark_restored(w, e, restore_job);
  LoadHistory history(w);
  const std::int64_t id = history.add(it.spec->table, "restore", static_cast<std::int64_t>(restored), 0, e.range, restore_job,
                                      fmt::format("sluice restore {}", e.job_id));
  for (const auto& h : history.current(it.spec->table))
    if (h.operation == "delete" && h.job_id == e.job_id) history.supersede(h.id, id);
  it.out->rows_restored = restored;
}

// Every connection the config's tables use: a delete may have removed rows from any of them.
std::vector<const ConnectionSpec*> connections_of(const Config& config) {
  std::vector<const ConnectionSpec*> connections;
  for (const auto& t : config.tables) {
    const ConnectionSpec* c = &config.connection_for(t);
    if (std::find(connections.begin(), connections.end(), c) == connections.end()) connections.push_back(c);
  }
  return connections;
}

// The config's table a trash entry of connection `c` is about, or nullptr. Job ids are per machine
// (each has its own job store): entries of other schemas and tables belong to someone else's job.
const TableSpec* table_of(const Config& config, const ConnectionSpec& c, Warehouse& w, const TrashEntry& e) {
  for (const auto& t : config.tables)
    if (&config.connection_for(t) == &c && w.dialect().fold(t.table) == e.source_table &&
        w.dialect().fold(w.schema()) == e.source_schema)
      return &t;
  return nullptr;
}

// Whether restore could put `e` back now, and why; reads only.
void judge(Warehouse& w, const TableSpec& spec, const TrashEntry& e, DeletedTable& out) {
  if (!e.restored_at.empty()) {
    out.state = DeleteState::restored;
    out.why = fmt::format("restored at {} by job {}", e.restored_at.substr(0, 19), e.restore_job_id);
    return;
  }
  const Dialect& d = w.dialect();
  const TableSql t(d, spec, w.schema());
  if (e.backup_table.empty()) {
    // Time Travel: asking for the table as it was before the DELETE fails once the retention passed.
    SqlParams p(d);
    try {
      w.query(fmt::format("SELECT 1 FROM {} WHERE 1 = 0", d.before_statement(t.relation(), p.add(e.statement_id))), p.list());
    } catch (const Error& err) {
      if (!d.is_time_travel_expired(err)) throw;
      out.state = DeleteState::expired;
      out.why = "past the table's Time Travel retention";
      return;
    }
  } else if (!w.table_exists(kTrashSchema, e.backup_table)) {
    out.state = DeleteState::expired;
    out.why = fmt::format("the backup {} is gone", trash_display(e));
    return;
  }
  const std::uint64_t now = t.rows_by_day(w, e.range).rows;
  if (now > 0) {
    out.state = DeleteState::reloaded;
    out.why = fmt::format("the range holds {} row{} again: delete {} first to restore", grouped(now), now == 1 ? "" : "s",
                          now == 1 ? "it" : "them");
    return;
  }
  out.state = DeleteState::restorable;
  out.why = fmt::format("{} rows kept in {}", grouped(static_cast<std::uint64_t>(e.rows)), trash_display(e));
}

}  // namespace

const char* to_string(DeleteState state) {
  switch (state) {
    case DeleteState::restorable: return "restorable";
    case DeleteState::reloaded: return "reloaded";
    case DeleteState::restored: return "restored";
    case DeleteState::expired: return "expired";
  }
  return "?";
}

std::vector<RecordedDelete> RestoreOperation::recorded(std::size_t limit) {
  std::vector<RecordedDelete> out;
  for (const ConnectionSpec* c : connections_of(config_)) {
    Warehouse& w = pool_.get(*c);
    for (const auto& e : recent_trash(w, limit)) {
      const TableSpec* spec = table_of(config_, *c, w, e);
      if (!spec) continue;
      auto job = std::find_if(out.begin(), out.end(), [&](const RecordedDelete& r) { return r.job_id == e.job_id; });
      if (job == out.end()) {
        out.push_back({e.job_id, e.deleted_at, DeleteState::restored, {}});
        job = out.end() - 1;
      }
      DeletedTable d;
      d.table = spec->table;
      d.target = TableSql(w.dialect(), *spec, w.schema()).display_name();
      d.connection = c->name;
      d.backup = trash_display(e);
      d.range = e.range;
      d.rows = e.rows;
      d.deleted_at = e.deleted_at;
      d.restored_at = e.restored_at;
      d.restore_job_id = e.restore_job_id;
      try {
        judge(w, *spec, e, d);
      } catch (const Error& err) {
        // A restore would fail the same way (the table is gone, say): it cannot be put back.
        d.state = DeleteState::expired;
        d.why = "cannot be checked: " + err.primary();
      }
      job->tables.push_back(std::move(d));
    }
  }
  // A job's state: the first of expired, reloaded, restorable any of its tables is in.
  for (auto& job : out)
    for (const DeleteState s : {DeleteState::expired, DeleteState::reloaded, DeleteState::restorable})
      if (std::any_of(job.tables.begin(), job.tables.end(), [&](const DeletedTable& t) { return t.state == s; })) {
        job.state = s;
        break;
      }
  std::stable_sort(out.begin(), out.end(), [](const RecordedDelete& a, const RecordedDelete& b) { return a.deleted_at > b.deleted_at; });
  return out;
}

RestoreOperation::RestoreOperation(const Config& config, WarehouseOpener open, JobLog& jobs, ProgressSink& progress)
    : config_(config), pool_(std::move(open)), jobs_(jobs), progress_(progress) {}

RestoreSummary RestoreOperation::run(const RestoreRequest& req) {
  RestoreSummary s;
  s.delete_job = req.delete_job;
  // Every connection the config's tables use: the job may have deleted from any of them.
  const std::vector<const ConnectionSpec*> connections = connections_of(config_);
  std::vector<Item> items;
  std::vector<TrashEntry> already;
  std::string looked;
  for (const ConnectionSpec* c : connections) {
    Warehouse& w = pool_.get(*c);
    looked += (looked.empty() ? "" : ", ") + c->name;
    for (auto& e : find_trash(w, req.delete_job)) {
      const TableSpec* spec = table_of(config_, *c, w, e);
      if (spec && !e.restored_at.empty()) {
        already.push_back(std::move(e));
        continue;
      }
      if (!spec) continue;
      for (const auto& other : items)
        if (other.spec == spec)
          throw usage_error(fmt::format("job {} is ambiguous for {}.{}: two deletes with that job id are not restored",
                                        req.delete_job, e.source_schema, e.source_table),
                            fmt::format("deleted at {} ({}) and at {} ({}), probably from two machines", other.entry.deleted_at,
                                        trash_display(other.entry), e.deleted_at, trash_display(e)),
                            "Restore by hand from the backup tables, then mark them restored in sluice_trash.deletes.");
      items.push_back({&w, spec, std::move(e), nullptr});
    }
  }
  if (items.empty()) {
    if (!already.empty())
      throw usage_error(fmt::format("the rows job {} deleted were restored already", req.delete_job),
                        fmt::format("{} restored at {} by job {}", already.front().source_table, already.front().restored_at,
                                    already.front().restore_job_id),
                        "Nothing to do.");
    // Job ids name every kind of job: the likely mistake is the id of the load to undo.
    if (const auto kind = jobs_.job_kind(req.delete_job); kind && kind->kind != "delete")
      throw usage_error(fmt::format("job {} is a {} job, not a delete: restore puts back what a delete removed",
                                    req.delete_job, kind->kind),
                        fmt::format("job {}: {} {}", req.delete_job, kind->kind, kind->description),
                        kind->kind == "load"
                            ? "To take a loaded month out again, delete it (sluice delete --table T --month YYYY-MM): its "
                              "rows are kept, and `sluice restore` with that delete's job id puts them back."
                            : "Give the job id `sluice delete` printed (`sluice jobs` lists recent jobs).");
    throw usage_error(fmt::format("no deleted rows of job {} to restore", req.delete_job),
                      fmt::format("looked in {}.{} of connection{} {}", kTrashSchema, kTrashLog, connections.size() == 1 ? "" : "s", looked),
                      "Give the job id `sluice delete` printed (`sluice jobs` lists recent jobs).");
  }
  s.tables.reserve(items.size());
  for (auto& it : items) {
    const TableSql t(it.w->dialect(), *it.spec, it.w->schema());
    TableRestore r;
    r.table = it.spec->table;
    r.target = t.display_name();
    r.connection = config_.connection_for(*it.spec).name;
    r.backup = trash_display(it.entry);
    r.range = it.entry.range;
    r.rows = it.entry.rows;
    r.deleted_at = it.entry.deleted_at;
    s.tables.push_back(std::move(r));
    it.out = &s.tables.back();
  }
  if (req.dry_run) return s;

  s.job_id = jobs_.begin_job("restore", fmt::format("restore of delete job {}", req.delete_job),
                             job_json({{"delete_job", req.delete_job}}));
  std::vector<Warehouse*> open;
  try {
    for (auto& it : items) it.w->ensure_load_history();  // outside the transaction: DDL under its own lock
    for (auto& it : items) {
      if (!it.entry.backup_table.empty() && !it.w->in_transaction()) {
        it.w->begin();
        open.push_back(it.w);
      }
      progress_.begin("restore", it.out->target, 0);
      restore_one(it, s.job_id);
      progress_.end(true, fmt::format("{} rows", grouped(it.out->rows_restored)));
    }
    for (Warehouse* w : open) w->commit();
    s.executed = true;
  } catch (...) {
    for (Warehouse* w : open) w->rollback();
    for (auto& t : s.tables) t.rows_restored = 0;
    jobs_.finish_job(s.job_id, JobStatus::failed, "{}", "nothing was restored");
    throw;
  }
  nlohmann::json done = nlohmann::json::array();
  for (const auto& t : s.tables) done.push_back({{"table", t.table}, {"target", t.target}, {"rows_restored", t.rows_restored}});
  jobs_.finish_job(s.job_id, JobStatus::succeeded, job_json({{"delete_job", req.delete_job}, {"tables", done}}), "");
  return s;
}

}  // namespace sluice
