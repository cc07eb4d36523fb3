#include "warehouse/load_history.h"

#include <algorithm>
#include <deque>

#include <fmt/format.h>


namespace sluice {
namespace {

HistoryRow row_of(const SqlResult& r, std::size_t i) {
  HistoryRow h;
  h.id = r.integer(i, 0);
  h.operation = r.text(i, 1);
  h.file_name = r.text(i, 2);
  h.rows_loaded = r.integer(i, 3);
  h.rows_deleted = r.integer(i, 4);
  const auto from = parse_iso_day(r.text(i, 5)), to = parse_iso_day(r.text(i, 6));
  if (from && to) h.range = DateRange{*from, *to};
  h.job_id = r.integer(i, 7);
  h.at = r.text(i, 8);
  return h;
}

// The columns row_of() reads, quoted through the dialect (sluice's own tables read the same on every
// warehouse).
std::string read_columns(const Dialect& d) {
  return d.identifiers({"id", "operation", "file_name", "rows_loaded", "rows_deleted", "date_from", "date_to", "job_id", "loaded_at"});
}

// {name} arguments for fmt::format: the column names quoted by the dialect. fmt::arg keeps a
// reference, so the quoted names live here (a deque does not move its elements).
class QuotedArgs {
 public:
  explicit QuotedArgs(const Dialect& d) : d_(d) {}
  auto operator()(const char* name) { return fmt::arg(name, names_.emplace_back(d_.identifier(name))); }

 private:
  const Dialect& d_;
  std::deque<std::string> names_;
};

}  // namespace

std::string LoadHistory::table_sql() const { return w_.dialect().qualified(w_.schema(), kLoadHistoryTable); }

bool LoadHistory::exists() {
  const auto cols = w_.columns(w_.schema(), kLoadHistoryTable);
  // A history from before deletes were recorded has no operation column: it holds loads only, and
  // the next load brings it up to date.
  return std::find(cols.begin(), cols.end(), w_.dialect().fold("operation")) != cols.end();
}

std::vector<HistoryRow> LoadHistory::current(const std::string& table) {
  SqlParams p(w_.dialect());
  const Dialect& d = w_.dialect();
  QuotedArgs c(d);
  const SqlResult r = w_.query(fmt::format("SELECT {} FROM {} WHERE {table_name} = {} AND {replaced_by} IS NULL ORDER BY {id}",
                                           read_columns(d), table_sql(), p.add(d.fold(table)), c("table_name"),
                                           c("replaced_by"), c("id")),
                               p.list());
  std::vector<HistoryRow> out;
  for (std::size_t i = 0; i < r.size(); ++i) out.push_back(row_of(r, i));
  return out;
}

std::optional<HistoryRow> LoadHistory::last_load(const std::string& table) {
  SqlParams p(w_.dialect());
  const Dialect& d = w_.dialect();
  QuotedArgs c(d);
  const SqlResult r = w_.query(fmt::format("SELECT {} FROM {} WHERE {table_name} = {} AND {replaced_by} IS NULL "
                                           "AND {operation} = 'load' ORDER BY {loaded_at} DESC, {id} DESC LIMIT 1",
                                           read_columns(d), table_sql(), p.add(d.fold(table)), c("table_name"),
                                           c("replaced_by"), c("operation"),
                                           c("loaded_at"), c("id")),
                               p.list());
  if (r.size() == 0) return std::nullopt;
  return row_of(r, 0);
}

std::int64_t LoadHistory::add(const std::string& table, const std::string& operation, std::int64_t rows_loaded,
                              std::int64_t rows_deleted, const DateRange& range, std::int64_t job_id, const std::string& note) {
  const Dialect& d = w_.dialect();
  QuotedArgs c(d);
  SqlParams p(d);
  const std::string sql = fmt::format(
      "INSERT INTO {} ({}) VALUES ({}, {}, '', 0, '', 'none', {}, {}, {}, {}, 'none', {}, {})", table_sql(),
      d.identifiers({"table_name", "file_name", "file_path", "file_size", "file_checksum", "compression", "rows_loaded",
                     "rows_deleted", "date_from", "date_to", "qc_mode", "job_id", "operation"}),
      p.add(d.fold(table)), p.add(note), p.add(rows_loaded), p.add(rows_deleted),
      p.add(format_iso(range.first), SqlType::date), p.add(format_iso(range.last), SqlType::date), p.add(job_id),
      p.add(operation));
  w_.query(sql, p.list());
  // No RETURNING (Snowflake has none): the row just written is the newest of its job and kind.
  SqlParams q(d);
  const std::string id_sql =
      fmt::format("SELECT max({id}) FROM {} WHERE {table_name} = {} AND {job_id} = {} AND {operation} = {}", table_sql(),
                  q.add(d.fold(table)), q.add(job_id), q.add(operation), c("id"),
                  c("table_name"), c("job_id"), c("operation"));
  return w_.query(id_sql, q.list()).integer(0, 0);
}

void LoadHistory::supersede(std::int64_t id, std::int64_t by) {
  const Dialect& d = w_.dialect();
  SqlParams p(d);
  const std::string sql = fmt::format("UPDATE {} SET {} = {} WHERE {} = {}", table_sql(), d.identifier("replaced_by"), p.add(by),
                                      d.identifier("id"), p.add(id));
  w_.query(sql, p.list());
}

std::string history_checksum(std::uint64_t checksum) { return fmt::format("xxh3:{:016x}", checksum); }

std::optional<HistoryRow> LoadHistory::newest_load(const std::string& condition, const SqlParams& params) {
  const Dialect& d = w_.dialect();
  QuotedArgs c(d);
  // A load whose whole range a later `sluice delete` removed (and no restore undid) is no longer in
  // the table: loading its file again is not a reload.
  const SqlResult r = w_.query(
      fmt::format("SELECT {cols} FROM {h} l WHERE {cond} AND l.{replaced_by} IS NULL AND l.{operation} = 'load' "
                  "AND NOT EXISTS (SELECT 1 FROM {h} d WHERE d.{table_name} = l.{table_name} AND d.{operation} = 'delete' "
                  "AND d.{replaced_by} IS NULL AND d.{id} > l.{id} AND d.{date_from} <= l.{date_from} "
                  "AND d.{date_to} >= l.{date_to}) ORDER BY l.{id} DESC LIMIT 1",
                  fmt::arg("cols", read_columns(d)), fmt::arg("h", table_sql()), fmt::arg("cond", condition),
                  c("replaced_by"), c("operation"), c("table_name"), c("id"), c("date_from"), c("date_to")),
      params.list());
  if (r.size() == 0) return std::nullopt;
  return row_of(r, 0);
}

std::optional<HistoryRow> LoadHistory::load_of_file(const std::string& table, const std::string& file_name,
                                                    std::uint64_t size) {
  const Dialect& d = w_.dialect();
  SqlParams p(d);
  const std::string cond =
      fmt::format("l.{} = {} AND l.{} = {} AND l.{} = {}", d.identifier("table_name"), p.add(d.fold(table)),
                  d.identifier("file_name"), p.add(file_name), d.identifier("file_size"),
                  p.add(static_cast<std::int64_t>(size)));
  return newest_load(cond, p);
}

std::optional<HistoryRow> LoadHistory::load_of_contents(const std::string& table, std::uint64_t file_checksum,
                                                        std::uint64_t content_checksum) {
  const Dialect& d = w_.dialect();
  SqlParams p(d);
  // Rows recorded before content_checksum existed have only the stored bytes' checksum.
  const std::string cond = fmt::format("l.{} = {} AND (l.{} = {} OR l.{} = {})", d.identifier("table_name"),
                                       p.add(d.fold(table)), d.identifier("content_checksum"),
                                       p.add(history_checksum(content_checksum)), d.identifier("file_checksum"),
                                       p.add(history_checksum(file_checksum)));
  return newest_load(cond, p);
}

void LoadHistory::record_load(const HistoryRecord& r, const std::string& rows_deleted_sql) {
  const Dialect& d = w_.dialect();
  QuotedArgs c(d);
  SqlParams p(d);
  const auto date = [&](bool first) -> std::string {
    return p.add(r.range ? SqlValue(format_iso(first ? r.range->first : r.range->last)) : std::nullopt, SqlType::date);
  };
  const auto count = [&](std::uint64_t n) { return p.add(static_cast<std::int64_t>(n)); };
  // INSERT ... SELECT, not VALUES: Snowflake takes no subquery (rows_deleted_sql) in VALUES.
  std::string columns = d.identifiers({"table_name", "file_name", "file_path", "file_size", "file_checksum",
                                       "compression", "qc_mode", "rows_loaded", "rows_deleted", "rows_rejected",
                                       "date_from", "date_to", "job_id", "operation", "content_checksum"});
  std::string values = fmt::format(
      "{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'load', {}", p.add(d.fold(r.table)), p.add(r.file_name),
      p.add(r.file_path), count(r.file_size), p.add(history_checksum(r.file_checksum)), p.add(r.compression),
      p.add(r.qc_mode), count(r.rows_loaded), rows_deleted_sql.empty() ? count(r.rows_deleted) : rows_deleted_sql,
      count(r.rows_rejected), date(true), date(false), p.add(r.job_id), p.add(history_checksum(r.content_checksum)));
  if (r.staged_files) {  // a column of the Snowflake history only
    columns += ", " + d.identifier("staged_files");
    values += ", " + count(r.staged_files);
  }
  w_.query(fmt::format("INSERT INTO {} ({}) SELECT {}", table_sql(), columns, values), p.list());
  if (!r.replace) return;
  // The rows it replaces (loads, deletes and restores of the same file name or of an overlapping
  // range) point at it. Its id is found again by job and file: there is no RETURNING on every
  // warehouse, and inside a Snowflake transaction no result is read before the commit.
  SqlParams q(d);
  std::string overlap = "FALSE";
  if (r.range)
    overlap = fmt::format("({date_from} <= {} AND {date_to} >= {})", q.add(format_iso(r.range->last), SqlType::date),
                          q.add(format_iso(r.range->first), SqlType::date), c("date_from"), c("date_to"));
  const std::string table = q.add(d.fold(r.table));
  w_.query(fmt::format("UPDATE {h} SET {replaced_by} = r.new_id FROM (SELECT max({id}) AS new_id FROM {h} "
                       "WHERE {table_name} = {t} AND {job_id} = {job} AND {operation} = 'load' AND {file_name} = {file}) r "
                       "WHERE {table_name} = {t} AND {replaced_by} IS NULL AND {id} <> r.new_id "
                       "AND ({file_name} = {file} OR {overlap})",
                       fmt::arg("h", table_sql()), fmt::arg("t", table), fmt::arg("job", q.add(r.job_id)),
                       fmt::arg("file", q.add(r.file_name)), fmt::arg("overlap", overlap), c("replaced_by"), c("id"),
                       c("table_name"), c("job_id"), c("operation"), c("file_name")),
           q.list());
}

std::optional<HistoryExpectation> expected_by_history(const std::vector<HistoryRow>& current,
                                                      const std::optional<DateRange>& scope) {
  std::vector<const HistoryRow*> used;
  HistoryExpectation e;
  const bool undated = std::any_of(current.begin(), current.end(), [](const HistoryRow& h) { return !h.range; });
  if (!scope || undated) {
    // The whole table: every entry counts.
    for (const auto& h : current) used.push_back(&h);
  } else {
    DateRange r = *scope;
    std::vector<bool> in(current.size(), false);
    for (bool grew = true; grew;) {
      grew = false;
      for (std::size_t i = 0; i < current.size(); ++i) {
        const auto& h = current[i];
        if (in[i] || h.range->last < r.first || h.range->first > r.last) continue;
        in[i] = true;
        grew = true;
        r.first = std::min(r.first, h.range->first);
        r.last = std::max(r.last, h.range->last);
      }
    }
    for (std::size_t i = 0; i < current.size(); ++i)
      if (in[i]) used.push_back(&current[i]);
    e.range = r;
  }
  for (const HistoryRow* h : used) {
    if (h->operation == "load") {
      e.expected_rows += h->rows_loaded;
      ++e.loads;
    } else if (h->operation == "delete") {
      e.expected_rows -= h->rows_deleted;
      ++e.deletes;
    }
  }
  // Without a load there is no baseline (a table filled outside sluice, then a month deleted).
  if (e.loads == 0) return std::nullopt;
  return e;
}

void record_validation(Warehouse& w, const std::string& table, const ValidationRecord& v) {
  const Dialect& d = w.dialect();
  const std::string t = d.qualified(w.schema(), kValidationHistoryTable);
  if (!w.table_exists(w.schema(), kValidationHistoryTable)) {
    auto type = [&](ColumnKind k) { return d.type_name(ColumnType{k, 0, 0, 0}); };
    auto col = [&](const char* name, ColumnKind k, const char* extra = "") {
      return fmt::format("{} {}{}", d.identifier(name), type(k), extra);
    };
    const std::string ddl = fmt::format(
        "CREATE TABLE IF NOT EXISTS {} ({}, {}, {}, {}, {}, {}, {}, {})", t, col("table_name", ColumnKind::text, " NOT NULL"),
        col("date_from", ColumnKind::date), col("date_to", ColumnKind::date), col("passed", ColumnKind::boolean, " NOT NULL"),
        col("rows_checked", ColumnKind::bigint, " NOT NULL"), col("reasons", ColumnKind::text, " NOT NULL"),
        col("job_id", ColumnKind::bigint), col("validated_at", ColumnKind::timestamptz, " NOT NULL DEFAULT CURRENT_TIMESTAMP"));
    try {
      w.query(ddl);
    } catch (const Error&) {
      // Two first validations at once race on the catalog; the other one created it.
      if (!w.table_exists(w.schema(), kValidationHistoryTable)) throw;
    }
  }
  SqlParams p(d);
  const std::string sql = fmt::format(
      "INSERT INTO {} ({}) VALUES ({}, {}, {}, {}, {}, {}, {})", t,
      d.identifiers({"table_name", "date_from", "date_to", "passed", "rows_checked", "reasons", "job_id"}), p.add(d.fold(table)), p.add(v.range ? SqlValue(format_iso(v.range->first)) : std::nullopt, SqlType::date),
      p.add(v.range ? SqlValue(format_iso(v.range->last)) : std::nullopt, SqlType::date), v.passed ? "TRUE" : "FALSE",
      p.add(v.rows), p.add(v.reasons), p.add(v.job_id));
  w.query(sql, p.list());
}

std::optional<ValidationRecord> last_validation(Warehouse& w, const std::string& table) {
  const Dialect& d = w.dialect();
  QuotedArgs c(d);
  if (!w.table_exists(w.schema(), kValidationHistoryTable)) return std::nullopt;
  SqlParams p(d);
  const SqlResult r = w.query(
      fmt::format("SELECT CASE WHEN {passed} THEN 1 ELSE 0 END, {} FROM {} WHERE {table_name} = {} ORDER BY {validated_at} DESC LIMIT 1",
                  d.identifiers({"date_from", "date_to", "rows_checked", "reasons", "job_id", "validated_at"}),
                  d.qualified(w.schema(), kValidationHistoryTable), p.add(d.fold(table)), c("passed"),
                  c("table_name"), c("validated_at")),
      p.list());
  if (r.size() == 0) return std::nullopt;
  ValidationRecord v;
  v.passed = r.integer(0, 0) == 1;
  const auto from = parse_iso_day(r.text(0, 1)), to = parse_iso_day(r.text(0, 2));
  if (from && to) v.range = DateRange{*from, *to};
  v.rows = r.integer(0, 3);
  v.reasons = r.text(0, 4);
  v.job_id = r.integer(0, 5);
  v.at = r.text(0, 6);
  return v;
}

}  // namespace sluice
