// The Warehouse interface on Snowflake, over the SQL API client (no driver, no session).
//
// - Identifiers: config names folded to upper case and always quoted (what an unquoted name means
//   to Snowflake). Placeholders are numbered (`:1`, `:2`: the order the values were added in, which
//   need not be the order they appear in the text), each value bound with its type: TEXT, FIXED,
//   or DATE (the SQL API takes a DATE binding as milliseconds since the epoch).
// - Results: jsonv2 cells decoded to the text PostgreSQL would print, so the operations read both
//   warehouses alike: DATE as YYYY-MM-DD, TIMESTAMP_* and TIME in ISO form, NUMBER as written.
//   `affected` comes from the DML row count, `statement_id` is the statement handle (= query id,
//   usable in Time Travel).
// - Transactions: the SQL API keeps no session between requests, so a transaction can only be one
//   multi-statement request, and the SQL API takes no bindings in those. begin() therefore starts
//   buffering: query() inside begin()..commit() renders its bound values as typed literals (escaped
//   by the dialect, checked by type), keeps the statement and returns an empty result; commit()
//   sends `BEGIN; ...; COMMIT;` as one request and keeps each statement's result
//   (transaction_results()). A caller that needs a result before the commit must not use a
//   transaction: the operations use single statements (atomic on their own) on Snowflake, Time
//   Travel in place of backup tables.
// - lock_table: nothing to take. Snowflake locks a table only for the DML statement (or the
//   multi-statement transaction) that changes it, and no lock can be held from one request to the
//   next. sluice's writers on Snowflake are therefore single statements (delete, restore) or one
//   multi-statement transaction (the load's publish); where a check precedes a statement, the
//   statement repeats it where that matters (restore inserts only while the range is still empty).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "warehouse/snowflake/sql_api_client.h"
#include "warehouse/warehouse.h"

namespace sluice {

class SnowflakeDialect final : public Dialect {
 public:
  std::string name() const override { return "snowflake"; }
  std::string fold(std::string_view config_name) const override;
  std::string placeholder(int n, SqlType type) const override;
  std::string type_name(const ColumnType& type) const override;
  bool supports_time_travel() const override { return true; }
  std::string before_statement(const std::string& relation, const std::string& id_placeholder) const override;
  // Snowflake error 000707, "Time travel data is not available for table <NAME>. ...".
  bool is_time_travel_expired(const Error& error) const override;
};

class SnowflakeWarehouse final : public Warehouse {
 public:
  // Owns a client for `connection` (its account or endpoint, auth, database, schema, warehouse,
  // role); `cancel` (may be null) stops a running statement on Ctrl-C.
  static std::unique_ptr<SnowflakeWarehouse> open(const SnowflakeConnection& connection, const Cancellation* cancel = nullptr);
  // Borrows a client someone else manages (the load's).
  SnowflakeWarehouse(snowflake::SqlApiClient& client, std::string schema);
  ~SnowflakeWarehouse() override;

  const Dialect& dialect() const override { return dialect_; }
  const std::string& schema() const override { return schema_; }
  SqlResult query(const std::string& sql, const std::vector<SqlParam>& params = {}) override;
  void begin() override;
  void commit() override;
  void rollback() noexcept override;
  bool in_transaction() const override { return buffering_; }
  void lock_table(const std::string& schema, const std::string& table) override;
  void ensure_load_history() override;

  // The statements of the open transaction, as commit() would send them.
  const std::vector<std::string>& pending() const { return buffered_; }
  // The results of the statements of the last committed transaction, in order.
  const std::vector<SqlResult>& transaction_results() const { return transaction_results_; }
  snowflake::SqlApiClient& client() { return *client_; }

 private:
  SnowflakeWarehouse(std::unique_ptr<snowflake::SqlApiClient> owned, std::string schema);
  std::unique_ptr<snowflake::SqlApiClient> owned_;
  snowflake::SqlApiClient* client_;
  std::string schema_;
  SnowflakeDialect dialect_;
  bool buffering_ = false;
  std::vector<std::string> buffered_;
  std::vector<SqlResult> transaction_results_;
};

namespace snowflake {

// The SQL API settings of a configured connection (base URL, database, schema folded, warehouse,
// role, user agent, cancellation).
SqlApiSettings sql_api_settings(const SnowflakeConnection& connection, const Cancellation* cancel);

// A jsonv2 result as the Warehouse interface returns it (cells decoded to PostgreSQL-like text).
SqlResult to_sql_result(const ResultSet& rs);

// The load history table (SLUICE_LOAD_HISTORY in `schema`), one definition for the load path and
// the warehouse operations: the columns of PostgreSQL's sluice_load_history (ID, OPERATION,
// DATE_FROM, DATE_TO, REPLACED_BY = the id of the row that replaced it, ...) plus STAGED_FILES.
std::string load_history_table(const std::string& schema);
std::string load_history_ddl(const std::string& schema);
// Brings a history an older sluice created up to date: the columns later versions use, and the
// checksums' spelling. One statement each.
std::vector<std::string> load_history_upgrade_sql(const std::string& schema);

}  // namespace snowflake
}  // namespace sluice
