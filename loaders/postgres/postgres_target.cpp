#include "loaders/postgres/postgres_target.h"

#include <map>
#include <regex>

#include <fmt/format.h>

#include "warehouse/postgres/dialect.h"
#include "warehouse/postgres/postgres_warehouse.h"

namespace sluice {

PostgresTarget::PostgresTarget(std::function<std::string()> conninfo, std::string schema)
    : conninfo_(std::move(conninfo)), schema_(std::move(schema)) {}

PostgresTarget::~PostgresTarget() { abandon(); }

std::string PostgresTarget::qualified_table(const TableSpec& table) const {
  return pg::qualified(schema_, table.table);
}

std::string PostgresTarget::display_table(const TableSpec& table) const {
  return fmt::format("{}.{}", pg::normalize_identifier(schema_), pg::normalize_identifier(table.table));
}

void PostgresTarget::configure(PipelineOptions& options) const {
  options.encode_copy = true;
  options.phase = "load";
}

void PostgresTarget::begin(std::int64_t) {
  conn_ = std::make_unique<pg::Connection>(pg::Connection::open(conninfo_(), "sluice load"));
  warehouse_ = std::make_unique<PostgresWarehouse>(*conn_, schema_);
  sink_.conn = conn_.get();
  pg::ensure_load_history(*conn_, schema_);  // DDL outside the transaction (concurrent loads race on it)
  conn_->exec("BEGIN");
  in_transaction_ = true;
  // Dates in MM/DD/YYYY form must mean month first whatever the server's default.
  conn_->exec("SET LOCAL datestyle = 'ISO, MDY'");
}

std::map<std::size_t, LoadTarget::Committed> PostgresTarget::commit(ProgressSink& progress) {
  progress.begin("commit", "", 0);
  try {
    conn_->exec("COMMIT");
  } catch (...) {
    progress.end(false, "failed");
    throw;
  }
  in_transaction_ = false;
  progress.end(true, "committed");
  return added_;
}

void PostgresTarget::abandon() noexcept {
  if (!in_transaction_) return;
  in_transaction_ = false;
  try {
    if (sink_.active) {
      sink_.active = false;
      conn_->copy_abort("load abandoned");
    }
    conn_->exec("ROLLBACK");
  } catch (...) {
    // The connection is gone: the server has already rolled the transaction back.
  }
}

bool PostgresTarget::prepare_table(const TableSpec& table, bool create) {
  // Serialises loads of one table across sessions until the transaction ends.
  conn_->query("SELECT pg_advisory_xact_lock(hashtext($1))", {pg::table_lock_key(schema_, table.table)});
  const std::string schema = pg::normalize_identifier(schema_);
  const std::string name = pg::normalize_identifier(table.table);
  // format_type spells the type with its length, precision and scale (information_schema keeps
  // them in separate columns); a domain is compared as its base type, as file QC cannot see the
  // domain's own constraints anyway.
  auto res = conn_->query(
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
    conn_->exec(ddl);
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

std::uint64_t PostgresTarget::delete_range(const TableSpec& table, const DateRange& range) {
  const int idx = table.date_column_index();
  const ColumnSpec& col = table.columns.at(static_cast<std::size_t>(idx));
  const std::string target = qualified_table(table);
  const std::string c = pg::identifier(col.name);
  if (col.type.is_temporal()) {
    return conn_->query(fmt::format("DELETE FROM {} WHERE {c} >= $1::date AND {c} < $2::date + 1", target, fmt::arg("c", c)),
                       {format_iso(range.first), format_iso(range.last)})
        .affected_rows();
  }
  if (col.type.is_integer() || col.type.kind == ColumnKind::numeric) {
    return conn_->query(fmt::format("DELETE FROM {} WHERE {c} BETWEEN $1 AND $2", target, fmt::arg("c", c)),
                       {format_compact(range.first), format_compact(range.last)})
        .affected_rows();
  }
  // A text date column: match every spelling the file QC accepts for each day of the range.
  std::string days = "{";
  for (DayNumber d = range.first; d <= range.last; ++d)
    for (const std::string& s : day_spellings(d)) days += (days.size() > 1 ? "," : "") + ("\"" + s + "\"");
  days += "}";
  return conn_->query(fmt::format("DELETE FROM {} WHERE {} = ANY($1::text[])", target, c), {days}).affected_rows();
}

namespace {

std::string column_list(const TableSpec& table) {
  std::string cols;
  for (const auto& c : table.columns) cols += (cols.empty() ? "" : ", ") + pg::identifier(c.name);
  return cols;
}

}  // namespace

std::uint64_t PostgresTarget::open_file(const TargetFile& file, ChunkRecorder record) {
  const TableSpec& table = *file.table;
  const std::uint64_t deleted = file.replace ? delete_range(table, *file.replace) : 0;
  staging_.clear();
  if (file.warehouse_qc) {
    // A temporary table with the table's columns, dropped at the end of the transaction: the rows
    // are checked there before they reach the table.
    staging_ = "pg_temp." + pg::quote_identifier(fmt::format("sluice_stage_{}", file.index));
    conn_->exec(fmt::format("CREATE TEMPORARY TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP", staging_,
                            qualified_table(table)));
  }
  conn_->copy_begin(fmt::format("COPY {} ({}) FROM STDIN", staging_.empty() ? qualified_table(table) : staging_,
                                column_list(table)));
  sink_.active = true;
  sink_.doomed = false;
  sink_.skip_limit = file.skip_limit;
  sink_.rows_set_aside = 0;
  sink_.destination = "postgres:" + display_table(table);
  sink_.record = std::move(record);
  return deleted;
}

void PostgresTarget::CopySink::consume(const ScannedChunk& chunk) {
  if (!doomed) {
    rows_set_aside += chunk.rejected_rows;
    const bool over = skip_limit ? rows_set_aside > *skip_limit : chunk.qc_errors > 0;
    if (over) {
      // QC failed: nothing of this file will be published, so stop feeding the server now.
      doomed = true;
      active = false;
      conn->copy_abort("sluice: file QC failed");
    } else {
      conn->copy_put(chunk.copy_data, chunk.copy_size);
    }
  }
  ChunkProgress p;
  p.chunk_index = chunk.index;
  p.offset = chunk.stream_offset;
  p.bytes = chunk.stream_bytes;
  p.rows = chunk.rows - chunk.rejected_rows;
  p.destination = destination;
  p.status = chunk.qc_errors ? (chunk.rejects ? "sent, rows set aside" : "qc_failed") : "sent";
  if (record) record(std::move(p));
}

void PostgresTarget::abandon_file() noexcept {
  if (!sink_.active) return;
  sink_.active = false;
  sink_.doomed = true;
  try {
    conn_->copy_abort("sluice: the file is not loaded");
  } catch (...) {
    // The transaction is rolled back at the end of the load either way.
  }
}

namespace {

// A value the server rejected during COPY, told in the file's terms: file:line, table.column.
// Only data errors (SQLSTATE classes 22 and 23) are about a value; anything else (a lost
// connection, a full disk, a refused privilege) is reported as what it is.
Error copy_error(const pg::ServerError& e, const TargetFile& file, const SentRows& sent) {
  const bool about_a_value = e.sqlstate().starts_with("22") || e.sqlstate().starts_with("23");
  if (!about_a_value) return e;
  static const std::regex where(R"(line (\d+)(?:, column ([^:]+))?)");
  std::smatch m;
  std::string location = file.path.string();
  std::string column;
  if (std::regex_search(e.context(), m, where)) {
    const std::uint64_t row = std::stoull(m[1].str());
    if (const std::uint64_t line = sent.line_of(row, file.path, file.syntax)) location += fmt::format(":{}", line);
    if (m[2].matched) {
      const std::string server_name = m[2].str();
      column = server_name;
      const int idx = file.table->column_index(server_name);
      if (idx >= 0)
        column = fmt::format("{}.{} (field {})", file.table->table,
                             file.table->columns[static_cast<std::size_t>(idx)].name, idx + 1);
    }
  }
  std::string detail = column.empty() ? "" : "column " + column + "\n";
  detail += "PostgreSQL: " + e.primary();
  if (!e.detail().empty()) detail += "\n" + e.detail();
  if (!e.context().empty()) detail += "\n(" + e.context() + ")";
  return Error(ExitCode::runtime, fmt::format("{}: the server rejected a value", location), detail,
               "Fix the value in the file, or the column's type in the config. Nothing was loaded.");
}

}  // namespace

std::uint64_t PostgresTarget::close_file(const TargetFile& file, const SentRows& sent) {
  if (!sink_.active) return 0;
  sink_.active = false;
  try {
    return conn_->copy_end();
  } catch (const pg::ServerError& e) {
    throw copy_error(e, file, sent);
  }
}

std::string PostgresTarget::staged_relation(const TargetFile&) { return staging_; }

void PostgresTarget::publish_staged(const TargetFile& file, std::uint64_t rows) {
  const std::string cols = column_list(*file.table);
  const std::uint64_t n = conn_->query(fmt::format("INSERT INTO {} ({cols}) SELECT {cols} FROM {}",
                                                   qualified_table(*file.table), staging_, fmt::arg("cols", cols)))
                              .affected_rows();
  conn_->exec(fmt::format("DROP TABLE {}", staging_));
  if (n != rows)
    throw runtime_error(fmt::format("{}: the staged rows did not all reach {}", file.name, display_table(*file.table)),
                        fmt::format("{} rows staged, {} moved", rows, n), "This should not happen: report it. Nothing was loaded.");
}

void PostgresTarget::add_history(const TargetFile& file, const HistoryRecord& record) {
  LoadHistory(*warehouse_).record_load(record);
  added_[file.index] = Committed{record.rows_loaded, record.rows_deleted};
}

}  // namespace sluice
