#include "operations/trash.h"

#include <fmt/format.h>

#include "operations/warehouse_session.h"

namespace sluice {
namespace {

std::string log_table(const Warehouse& w) { return w.dialect().qualified(kTrashSchema, kTrashLog); }

constexpr std::size_t kMaxIdentifier = 63;  // PostgreSQL's NAMEDATALEN - 1; Snowflake allows 255

}  // namespace

void ensure_trash(Warehouse& w) {
  if (w.table_exists(kTrashSchema, kTrashLog)) return;
  const Dialect& d = w.dialect();
  auto type = [&](ColumnKind k) { return d.type_name(ColumnType{k, 0, 0, 0}); };
  // Every name quoted through the dialect: sluice's own tables read the same on every warehouse.
  auto col = [&](const char* name, ColumnKind k, const char* extra = "") {
    return fmt::format("{} {}{}", d.identifier(name), type(k), extra);
  };
  const std::string ddl = fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})", log_table(w),
      col("job_id", ColumnKind::bigint, " NOT NULL"), col("source_schema", ColumnKind::text, " NOT NULL"),
      col("source_table", ColumnKind::text, " NOT NULL"), col("backup_table", ColumnKind::text),
      col("statement_id", ColumnKind::text), col("date_from", ColumnKind::date, " NOT NULL"),
      col("date_to", ColumnKind::date, " NOT NULL"), col("rows_deleted", ColumnKind::bigint, " NOT NULL"),
      col("deleted_at", ColumnKind::timestamptz, " NOT NULL DEFAULT CURRENT_TIMESTAMP"), col("restored_at", ColumnKind::timestamptz),
      col("restore_job_id", ColumnKind::bigint));
  try {
    w.query(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", d.identifier(kTrashSchema)));
    w.query(ddl);
  } catch (const Error&) {
    // Two first deletes at once race on the catalog; the other one created them.
    if (!w.table_exists(kTrashSchema, kTrashLog)) throw;
  }
}

std::string choose_backup_name(Warehouse& w, const std::string& table, std::int64_t job_id) {
  const std::string suffix = fmt::format("__job{}", job_id);
  for (int n = 1;; ++n) {
    const std::string extra = n == 1 ? suffix : fmt::format("{}_{}", suffix, n);
    std::string base = table;
    if (base.size() + extra.size() > kMaxIdentifier) base.resize(kMaxIdentifier - extra.size());
    const std::string name = base + extra;
    if (!w.table_exists(kTrashSchema, name)) return name;
  }
}

void record_trash(Warehouse& w, const TrashEntry& e) {
  SqlParams p(w.dialect());
  auto or_null = [](const std::string& s) { return s.empty() ? SqlValue() : SqlValue(s); };
  const Dialect& d = w.dialect();
  const std::string sql = fmt::format(
      "INSERT INTO {} ({}) VALUES ({}, {}, {}, {}, {}, {}, {}, {})", log_table(w),
      d.identifiers({"job_id", "source_schema", "source_table", "backup_table", "statement_id", "date_from", "date_to",
                     "rows_deleted"}),
      p.add(e.job_id), p.add(e.source_schema), p.add(e.source_table), p.add(or_null(e.backup_table)),
      p.add(or_null(e.statement_id)), p.add(format_iso(e.range.first), SqlType::date),
      p.add(format_iso(e.range.last), SqlType::date), p.add(e.rows));
  w.query(sql, p.list());
}

namespace {

// The log's rows that `where` (SQL with its parameters in `p`, or "") selects, in `order`.
std::vector<TrashEntry> read_trash(Warehouse& w, const std::string& where, SqlParams& p, const std::string& order) {
  std::vector<TrashEntry> out;
  if (!w.table_exists(kTrashSchema, kTrashLog)) return out;
  const Dialect& d = w.dialect();
  const SqlResult r = w.query(
      fmt::format("SELECT {} FROM {}{} ORDER BY {}",
                  d.identifiers({"job_id", "source_schema", "source_table", "backup_table", "statement_id", "date_from", "date_to",
                                 "rows_deleted", "deleted_at", "restored_at", "restore_job_id"}),
                  log_table(w), where.empty() ? "" : " WHERE " + where, order),
      p.list());
  for (std::size_t i = 0; i < r.size(); ++i) {
    TrashEntry e;
    e.job_id = r.integer(i, 0);
    e.source_schema = r.text(i, 1);
    e.source_table = r.text(i, 2);
    e.backup_table = r.text(i, 3);
    e.statement_id = r.text(i, 4);
    e.range = DateRange{parse_iso_day(r.text(i, 5)).value_or(0), parse_iso_day(r.text(i, 6)).value_or(-1)};
    e.rows = r.integer(i, 7);
    e.deleted_at = r.text(i, 8);
    e.restored_at = r.text(i, 9);
    e.restore_job_id = r.integer(i, 10);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<TrashEntry> find_trash(Warehouse& w, std::int64_t job_id) {
  SqlParams p(w.dialect());
  const Dialect& d = w.dialect();
  const std::string where = fmt::format("{} = {}", d.identifier("job_id"), p.add(job_id));
  return read_trash(w, where, p, d.identifiers({"source_schema", "source_table"}));
}

std::vector<TrashEntry> recent_trash(Warehouse& w, std::size_t limit) {
  SqlParams p(w.dialect());
  const Dialect& d = w.dialect();
  // The limit is a number this code computed, never user text.
  return read_trash(w, "", p,
                    fmt::format("{} DESC, {} DESC, {} LIMIT {}", d.identifier("deleted_at"), d.identifier("job_id"),
                                d.identifiers({"source_schema", "source_table"}), limit));
}

void mark_restored(Warehouse& w, const TrashEntry& e, std::int64_t restore_job_id) {
  SqlParams p(w.dialect());
  const Dialect& d = w.dialect();
  const std::string sql = fmt::format(
      "UPDATE {} SET {restored_at} = CURRENT_TIMESTAMP, {restore_job_id} = {} WHERE {job_id} = {} AND {source_schema} = {} "
      "AND {source_table} = {} AND {restored_at} IS NULL",
      log_table(w), p.add(restore_job_id), p.add(e.job_id), p.add(e.source_schema), p.add(e.source_table),
      fmt::arg("restored_at", d.identifier("restored_at")), fmt::arg("restore_job_id", d.identifier("restore_job_id")),
      fmt::arg("job_id", d.identifier("job_id")), fmt::arg("source_schema", d.identifier("source_schema")),
      fmt::arg("source_table", d.identifier("source_table")));
  w.query(sql, p.list());
}

std::string trash_display(const TrashEntry& e) {
  return e.backup_table.empty() ? fmt::format("Time Travel, statement {}", e.statement_id)
                                : fmt::format("{}.{}", kTrashSchema, e.backup_table);
}

}  // namespace sluice
