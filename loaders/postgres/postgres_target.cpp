#include "loaders/postgres/postgres_target.h"

#include <map>

#include <fmt/format.h>

#include "warehouse/postgres/dialect.h"
#include "warehouse/postgres/postgres_warehouse.h"

namespace sluice {

PostgresTarget::PostgresTarget(pg::Connection& conn, std::string schema)
    : conn_(conn), schema_(std::move(schema)), sink_(conn) {}

std::string PostgresTarget::qualified_table(const TableSpec& table) const {
  return pg::qualified(schema_, table.table);
}

std::string PostgresTarget::history_table() const { return pg::qualified(schema_, kHistoryTable); }

void PostgresTarget::ensure_history_table() { pg::ensure_load_history(conn_, schema_); }

void PostgresTarget::begin() {
  conn_.exec("BEGIN");
  in_transaction_ = true;
  // Dates in MM/DD/YYYY form must mean month first whatever the server's default.
  conn_.exec("SET LOCAL datestyle = 'ISO, MDY'");
}

void PostgresTarget::commit() {
  conn_.exec("COMMIT");
  in_transaction_ = false;
}

void PostgresTarget::rollback() noexcept {
  if (!in_transaction_) return;
  in_transaction_ = false;
  try {
    if (sink_.active) {
      sink_.active = false;
      conn_.copy_abort("load abandoned");
    }
    conn_.exec("ROLLBACK");
  } catch (...) {
    // The connection is gone: the server has already rolled the transaction back.
  }
}

void PostgresTarget::lock_table(const TableSpec& table) {
  conn_.query("SELECT pg_advisory_xact_lock(hashtext($1))", {pg::table_lock_key(schema_, table.table)});
}

bool PostgresTarget::prepare_table(const TableSpec& table, bool create) {
  const std::string schema = pg::normalize_identifier(schema_);
  const std::string name = pg::normalize_identifier(table.table);
  // format_type spells the type with its length, precision and scale (information_schema keeps
  // them in separate columns); a domain is compared as its base type, as file QC cannot see the
  // domain's own constraints anyway.
  auto res = conn_.query(
      "SELECT a.attname, format_type(coalesce(nullif(t.typbasetype, 0), a.atttypid), "
      "CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END), NOT a.attnotnull, a.atthasdef "
      "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_type t ON t.oid = a.atttypid "
      "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'f') AND a.attnum > 0 "
      "AND NOT a.attisdropped ORDER BY a.attnum",
      {schema, name});
  if (res.rows() == 0) {
    if (!create)
      throw usage_error(fmt::format("table {}.{} does not exist", schema, name),
                        fmt::format("the config entry at {} loads into it", table.position.str()),
                        "Pass --create to create it from the config's columns, or create it yourself.");
    std::string ddl = fmt::format("CREATE TABLE {} (", qualified_table(table));
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const auto& c = table.columns[i];
      ddl += fmt::format("{}{} {}{}", i ? ", " : "", pg::identifier(c.name), pg::type_name(c.type),
                         c.required ? " NOT NULL" : "");
    }
    ddl += ")";
    conn_.exec(ddl);
    return true;
  }
  struct Existing {
    std::string type;
    bool nullable, has_default;
  };
  std::map<std::string, Existing> existing;
  for (int r = 0; r < res.rows(); ++r)
    existing[std::string(res.get(r, 0))] = {std::string(res.get(r, 1)), res.get(r, 2) == "t", res.get(r, 3) == "t"};

  std::vector<std::string> problems, alters;
  for (const auto& c : table.columns) {
    const auto it = existing.find(pg::normalize_identifier(c.name));
    if (it == existing.end()) {
      problems.push_back(fmt::format("{}.{} is in the config but not in the table", name, pg::normalize_identifier(c.name)));
      continue;
    }
    const TypeFit fit = compare_column_types(c.type, pg::column_type_from_catalog(it->second.type));
    if (fit == TypeFit::narrower || fit == TypeFit::different) {
      problems.push_back(describe_type_mismatch(name + "." + it->first, c.type, it->second.type, fit));
      alters.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {};", qualified_table(table),
                                   pg::quote_identifier(it->first), pg::type_name(c.type)));
    }
    existing.erase(it);
  }
  for (const auto& [col, info] : existing)
    if (!info.nullable && !info.has_default)
      problems.push_back(fmt::format("{}.{} is NOT NULL without a default but is not in the config", name, col));
  if (!problems.empty()) {
    std::string detail;
    for (const auto& p : problems) detail += (detail.empty() ? "" : "\n") + p;
    std::string hint = fmt::format("Change the columns in the config entry at {} or alter the table.", table.position.str());
    if (!alters.empty())
      hint += fmt::format(" For the types: make the config say the table's, or widen the table:\n  {}",
                          fmt::join(alters, "\n  "));
    throw usage_error(fmt::format("table {}.{} does not match the config", schema, name), detail, hint);
  }
  return false;
}

namespace {

std::optional<HistoryEntry> first_entry(pg::Result& res) {
  if (res.rows() == 0) return std::nullopt;
  HistoryEntry e;
  e.id = res.get_int(0, 0);
  e.file_name = std::string(res.get(0, 1));
  e.loaded_at = std::string(res.get(0, 2));
  e.rows = res.get_int(0, 3);
  e.job_id = res.is_null(0, 4) ? 0 : res.get_int(0, 4);
  if (!res.is_null(0, 5) && !res.is_null(0, 6)) {
    DayNumber from = 0, to = 0;
    const DateParser iso;
    if (iso.parse(res.get(0, 5), from) && iso.parse(res.get(0, 6), to)) e.range = DateRange{from, to};
  }
  return e;
}

std::string checksum_text(std::uint64_t checksum) { return fmt::format("xxh3:{:016x}", checksum); }

// A load whose whole range a later `sluice delete` removed (and no restore undid) is no longer in
// the table: loading its file again is not a reload. `l` is the load's history row.
std::string not_deleted_since(const std::string& history) {
  return fmt::format("NOT EXISTS (SELECT 1 FROM {} d WHERE d.table_name = l.table_name AND d.operation = 'delete' "
                     "AND d.replaced_by IS NULL AND d.id > l.id AND d.date_from <= l.date_from AND d.date_to >= l.date_to)",
                     history);
}

}  // namespace

std::optional<HistoryEntry> PostgresTarget::latest_load(const std::string& condition,
                                                         std::vector<std::optional<std::string>> params) {
  auto res = conn_.query(fmt::format("SELECT id, file_name, to_char(loaded_at, 'YYYY-MM-DD HH24:MI:SS TZ'), rows_loaded, job_id, "
                                     "date_from, date_to "
                                     "FROM {h} l WHERE {condition} "
                                     "AND replaced_by IS NULL AND operation = 'load' AND {not_deleted} ORDER BY id DESC LIMIT 1",
                                     fmt::arg("h", history_table()), fmt::arg("condition", condition),
                                     fmt::arg("not_deleted", not_deleted_since(history_table()))),
                         params);
  return first_entry(res);
}

std::optional<HistoryEntry> PostgresTarget::find_by_name(const TableSpec& table, const std::string& file_name,
                                                         std::uint64_t size) {
  return latest_load("table_name = $1 AND file_name = $2 AND file_size = $3",
                     {pg::normalize_identifier(table.table), file_name, std::to_string(size)});
}

std::optional<HistoryEntry> PostgresTarget::find_by_checksum(const TableSpec& table, std::uint64_t file_checksum,
                                                             std::uint64_t content_checksum) {
  // Rows recorded before content_checksum existed have only the stored bytes' checksum.
  return latest_load("table_name = $1 AND (content_checksum = $2 OR file_checksum = $3)",
                     {pg::normalize_identifier(table.table), checksum_text(content_checksum), checksum_text(file_checksum)});
}

std::uint64_t PostgresTarget::delete_range(const TableSpec& table, const DateRange& range) {
  const int idx = table.date_column_index();
  const ColumnSpec& col = table.columns.at(static_cast<std::size_t>(idx));
  const std::string target = qualified_table(table);
  const std::string c = pg::identifier(col.name);
  if (col.type.is_temporal()) {
    return conn_.query(fmt::format("DELETE FROM {} WHERE {c} >= $1::date AND {c} < $2::date + 1", target, fmt::arg("c", c)),
                       {format_iso(range.first), format_iso(range.last)})
        .affected_rows();
  }
  if (col.type.is_integer() || col.type.kind == ColumnKind::numeric) {
    return conn_.query(fmt::format("DELETE FROM {} WHERE {c} BETWEEN $1 AND $2", target, fmt::arg("c", c)),
                       {format_compact(range.first), format_compact(range.last)})
        .affected_rows();
  }
  // A text date column: match every spelling the file QC accepts for each day of the range.
  std::string days = "{";
  for (DayNumber d = range.first; d <= range.last; ++d) {
    const CivilDate cd = civil_from_days(d);
    for (const std::string& s : {format_iso(d), format_compact(d),
                                 fmt::format("{:02}/{:02}/{:04}", cd.month, cd.day, cd.year),
                                 fmt::format("{}/{}/{:04}", cd.month, cd.day, cd.year)})
      days += (days.size() > 1 ? "," : "") + ("\"" + s + "\"");
  }
  days += "}";
  return conn_.query(fmt::format("DELETE FROM {} WHERE {} = ANY($1::text[])", target, c), {days}).affected_rows();
}

namespace {

std::string column_list(const TableSpec& table) {
  std::string cols;
  for (const auto& c : table.columns) cols += (cols.empty() ? "" : ", ") + pg::identifier(c.name);
  return cols;
}

}  // namespace

std::string PostgresTarget::create_staging_table(const TableSpec& table, int n) {
  const std::string name = "pg_temp." + pg::quote_identifier(fmt::format("sluice_stage_{}", n));
  conn_.exec(fmt::format("CREATE TEMPORARY TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP", name, qualified_table(table)));
  return name;
}

std::uint64_t PostgresTarget::publish_staged(const TableSpec& table, const std::string& staging) {
  const std::string cols = column_list(table);
  const std::uint64_t n =
      conn_.query(fmt::format("INSERT INTO {} ({cols}) SELECT {cols} FROM {}", qualified_table(table), staging, fmt::arg("cols", cols)))
          .affected_rows();
  conn_.exec(fmt::format("DROP TABLE {}", staging));
  return n;
}

void PostgresTarget::begin_copy(const TableSpec& table, std::optional<std::uint64_t> skip_limit, const std::string& relation) {
  conn_.copy_begin(fmt::format("COPY {} ({}) FROM STDIN", relation.empty() ? qualified_table(table) : relation, column_list(table)));
  sink_.active = true;
  sink_.doomed = false;
  sink_.rows_sent = 0;
  sink_.skip_limit = skip_limit;
  sink_.rows_set_aside = 0;
}

void PostgresTarget::CopySink::consume(const ScannedChunk& chunk) {
  if (doomed) return;
  rows_set_aside += chunk.rejected_rows;
  const bool over = skip_limit ? rows_set_aside > *skip_limit : chunk.qc_errors > 0;
  if (over) {
    // QC failed: nothing of this file will be published, so stop feeding the server now.
    doomed = true;
    active = false;
    conn.copy_abort("sluice: file QC failed");
    return;
  }
  conn.copy_put(chunk.copy_data, chunk.copy_size);
  rows_sent += chunk.rows - chunk.rejected_rows;
}

std::uint64_t PostgresTarget::end_copy() {
  if (!sink_.active) return 0;
  sink_.active = false;
  return conn_.copy_end();
}

std::int64_t PostgresTarget::record_history(const HistoryRecord& r) {
  std::optional<std::string> from, to;
  if (r.range) {
    from = format_iso(r.range->first);
    to = format_iso(r.range->last);
  }
  auto res = conn_.query(
      fmt::format("INSERT INTO {} (table_name, file_name, file_path, file_size, file_checksum, compression, "
                  "rows_loaded, rows_deleted, date_from, date_to, qc_mode, job_id, rows_rejected, content_checksum) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                  history_table()),
      {pg::normalize_identifier(r.table), r.file_name, r.file_path, std::to_string(r.file_size),
       checksum_text(r.file_checksum), r.compression, std::to_string(r.rows_loaded), std::to_string(r.rows_deleted),
       from, to, r.qc_mode, std::to_string(r.job_id), std::to_string(r.rows_rejected),
       checksum_text(r.content_checksum)});
  const std::int64_t id = res.get_int(0, 0);
  if (r.replace) {
    // Earlier loads of the same file, or of the range now replaced, are superseded by this one.
    conn_.query(fmt::format("UPDATE {} SET replaced_by = $1 WHERE table_name = $2 AND id <> $1 AND replaced_by IS NULL "
                            "AND (file_name = $3 OR (date_from <= $5::date AND date_to >= $4::date))",
                            history_table()),
                {std::to_string(id), pg::normalize_identifier(r.table), r.file_name,
                 from.value_or("infinity"), to.value_or("-infinity")});
  }
  return id;
}

}  // namespace sluice
