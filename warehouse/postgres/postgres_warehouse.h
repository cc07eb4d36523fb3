// The Warehouse interface on PostgreSQL (libpq): identifiers folded to lower case and quoted,
// `$n` placeholders with casts, advisory locks shared with the load, and the load history DDL.
#pragma once

#include <memory>
#include <string>

#include "warehouse/postgres/connection.h"
#include "warehouse/warehouse.h"

namespace sluice {

class PostgresDialect final : public Dialect {
 public:
  std::string name() const override { return "postgres"; }
  std::string fold(std::string_view config_name) const override;
  std::string placeholder(int n, SqlType type) const override;
  std::string type_name(const ColumnType& type) const override;
};

class PostgresWarehouse final : public Warehouse {
 public:
  // Owns a connection opened from `conninfo`.
  static std::unique_ptr<PostgresWarehouse> open(const std::string& conninfo, std::string schema,
                                                 const std::string& application_name = "sluice");
  // Borrows a connection someone else manages (the load's, inside its transaction).
  PostgresWarehouse(pg::Connection& conn, std::string schema);

  const Dialect& dialect() const override { return dialect_; }
  const std::string& schema() const override { return schema_; }
  SqlResult query(const std::string& sql, const std::vector<SqlParam>& params = {}) override;
  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  bool in_transaction() const override { return in_transaction_; }
  void lock_table(const std::string& schema, const std::string& table) override;
  void ensure_load_history() override;

  pg::Connection& connection() { return *conn_; }

 private:
  PostgresWarehouse(std::unique_ptr<pg::Connection> owned, std::string schema);
  std::unique_ptr<pg::Connection> owned_;
  pg::Connection* conn_;
  std::string schema_;
  PostgresDialect dialect_;
  bool in_transaction_ = false;
};

namespace pg {
// The key of the advisory lock that serialises writers of schema.table (config names).
std::string table_lock_key(std::string_view schema, std::string_view table);
// CREATE TABLE IF NOT EXISTS sluice_load_history (and the columns later versions added), under an
// advisory lock so two first loads do not race on the catalog.
void ensure_load_history(Connection& conn, const std::string& schema);
}  // namespace pg

}  // namespace sluice
