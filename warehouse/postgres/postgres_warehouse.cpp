#include "warehouse/postgres/postgres_warehouse.h"

#include <fmt/format.h>

#include "warehouse/postgres/dialect.h"

namespace sluice {

std::string PostgresDialect::fold(std::string_view config_name) const { return pg::normalize_identifier(config_name); }

std::string PostgresDialect::placeholder(int n, SqlType type) const {
  switch (type) {
    case SqlType::integer: return fmt::format("${}::bigint", n);
    case SqlType::date: return fmt::format("${}::date", n);
    case SqlType::text: break;
  }
  return fmt::format("${}", n);
}

std::string PostgresDialect::type_name(const ColumnType& type) const { return pg::type_name(type); }

std::unique_ptr<PostgresWarehouse> PostgresWarehouse::open(const std::string& conninfo, std::string schema,
                                                           const std::string& application_name) {
  auto conn = std::make_unique<pg::Connection>(pg::Connection::open(conninfo, application_name));
  // Dates come back as YYYY-MM-DD, and MM/DD/YYYY text means month first, whatever the server's default.
  conn->exec("SET datestyle = 'ISO, MDY'");
  // validate's duplicate-key check groups every row of the month by its key: with the default 4 MB
  // of work_mem that spills and sorts on disk, about twice as slow as hashing in memory (see
  // bench/README.md, warehouse_ops_big_table.sh). Raised for this session only, never lowered.
  conn->exec("SELECT set_config('work_mem', '256MB', false) "
             "WHERE pg_size_bytes(current_setting('work_mem')) < pg_size_bytes('256MB')");
  return std::unique_ptr<PostgresWarehouse>(new PostgresWarehouse(std::move(conn), std::move(schema)));
}

PostgresWarehouse::PostgresWarehouse(std::unique_ptr<pg::Connection> owned, std::string schema)
    : owned_(std::move(owned)), conn_(owned_.get()), schema_(std::move(schema)) {}

PostgresWarehouse::PostgresWarehouse(pg::Connection& conn, std::string schema) : conn_(&conn), schema_(std::move(schema)) {}

SqlResult PostgresWarehouse::query(const std::string& sql, const std::vector<SqlParam>& params) {
  std::vector<pg::Param> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.value);
  pg::Result res = conn_->query(sql, values);
  SqlResult out;
  const int rows = res.rows(), cols = res.columns();
  for (int c = 0; c < cols; ++c) out.columns.push_back(res.column_name(c));
  out.rows.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    auto& row = out.rows.emplace_back();
    row.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) row.push_back(res.get_optional(r, c));
  }
  out.affected = res.affected_rows();
  return out;
}

void PostgresWarehouse::begin() {
  conn_->exec("BEGIN");
  in_transaction_ = true;
}

void PostgresWarehouse::commit() {
  conn_->exec("COMMIT");
  in_transaction_ = false;
}

void PostgresWarehouse::rollback() noexcept {
  if (!in_transaction_) return;
  in_transaction_ = false;
  try {
    conn_->exec("ROLLBACK");
  } catch (...) {
    // The connection is gone: the server has rolled the transaction back already.
  }
}

void PostgresWarehouse::lock_table(const std::string& schema, const std::string& table) {
  // The load's lock first (sluice writers queue in the same order), then the table's own lock
  // against every other writer; readers go on.
  conn_->query("SELECT pg_advisory_xact_lock(hashtext($1))", {pg::table_lock_key(schema, table)});
  conn_->exec(fmt::format("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", pg::qualified(schema, table)));
}

void PostgresWarehouse::ensure_load_history() { pg::ensure_load_history(*conn_, schema_); }

namespace pg {

std::string table_lock_key(std::string_view schema, std::string_view table) { return "sluice:" + qualified(schema, table); }

void ensure_load_history(Connection& conn, const std::string& schema) {
  // Two first loads at once would race on CREATE TABLE IF NOT EXISTS (a unique violation in
  // pg_type), hence the advisory lock around it.
  const std::string h = qualified(schema, kLoadHistoryTable);
  conn.exec("SELECT pg_advisory_lock(hashtext('sluice:history'))");
  try {
    conn.exec(fmt::format(
        "CREATE SCHEMA IF NOT EXISTS {schema};"
        "CREATE TABLE IF NOT EXISTS {h} ("
        " id bigserial PRIMARY KEY,"
        " table_name text NOT NULL,"
        " file_name text NOT NULL,"
        " file_path text NOT NULL,"
        " file_size bigint NOT NULL,"
        " file_checksum text NOT NULL,"
        " compression text NOT NULL,"
        " rows_loaded bigint NOT NULL,"
        " rows_deleted bigint NOT NULL DEFAULT 0,"
        " rows_rejected bigint NOT NULL DEFAULT 0,"
        " date_from date,"
        " date_to date,"
        " qc_mode text NOT NULL,"
        " job_id bigint,"
        " loaded_by text NOT NULL DEFAULT current_user,"
        " loaded_at timestamptz NOT NULL DEFAULT now(),"
        " replaced_by bigint REFERENCES {h}(id),"
        " operation text NOT NULL DEFAULT 'load');"
        "CREATE INDEX IF NOT EXISTS {idx} ON {h} (table_name, file_name);"
        // Histories made by earlier versions.
        "ALTER TABLE {h} ADD COLUMN IF NOT EXISTS rows_rejected bigint NOT NULL DEFAULT 0;"
        "ALTER TABLE {h} ADD COLUMN IF NOT EXISTS operation text NOT NULL DEFAULT 'load';"
        // The checksum of the data after decompression (file.tsv and file.tsv.zst alike).
        "ALTER TABLE {h} ADD COLUMN IF NOT EXISTS content_checksum text",
        fmt::arg("schema", identifier(schema)), fmt::arg("h", h),
        fmt::arg("idx", quote_identifier("sluice_load_history_table_file"))));
  } catch (...) {
    conn.exec("SELECT pg_advisory_unlock(hashtext('sluice:history'))");
    throw;
  }
  conn.exec("SELECT pg_advisory_unlock(hashtext('sluice:history'))");
}

}  // namespace pg
}  // namespace sluice
