// The warehouse-neutral interface the operations (validate, delete, restore, report, compare, the
// warehouse QC of a load) are written against: run a statement with bound parameters and get rows of
// strings or NULLs back, transactions, a write lock per table, and a Dialect that spells
// identifiers, placeholders and types. PostgreSQL implements it in warehouse/postgres; Snowflake adds
// one more class (SQL API: upper-case identifiers, `:n` placeholders with typed bindings, Time
// Travel) without touching the operations.
//
// Transactions and Snowflake: the SQL API keeps no session between requests, so a Snowflake
// implementation has to send the statements of a transaction as one multi-statement request. The
// operations therefore use begin()/commit() only on paths that need a backup table (PostgreSQL);
// where the dialect has Time Travel, each change is a single statement, atomic on its own.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/column_type.h"
#include "core/config_model.h"
#include "core/error.h"

namespace sluice {

// A value going into or coming out of SQL as text; nullopt is SQL NULL.
using SqlValue = std::optional<std::string>;

// The type a bound value has. PostgreSQL binds every value as text and casts in the placeholder;
// Snowflake binds with the type (TEXT, FIXED, DATE).
enum class SqlType { text, integer, date };

struct SqlParam {
  SqlValue value;
  SqlType type = SqlType::text;
};

struct SqlResult {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
  std::uint64_t affected = 0;   // rows a DML statement (or CREATE TABLE AS) touched
  std::string statement_id;     // the warehouse's id for the statement (Snowflake's query id); "" if none

  std::size_t size() const { return rows.size(); }
  bool is_null(std::size_t row, std::size_t col) const { return !rows.at(row).at(col).has_value(); }
  // The value, "" when NULL.
  const std::string& text(std::size_t row, std::size_t col) const;
  // An integer column (count(*), sum(...)); 0 when NULL; throws a runtime error for anything else.
  std::int64_t integer(std::size_t row, std::size_t col) const;
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string name() const = 0;  // "postgres", "snowflake"
  // The name a config identifier has in the warehouse when it is not quoted (PostgreSQL folds to
  // lower case, Snowflake to upper case); the operations always quote it afterwards.
  virtual std::string fold(std::string_view config_name) const = 0;
  // "name" with embedded quotes doubled (both warehouses quote identifiers this way).
  virtual std::string quote(std::string_view folded_name) const;
  std::string identifier(std::string_view config_name) const { return quote(fold(config_name)); }
  // identifier() of each name, comma-separated: a column list.
  std::string identifiers(std::initializer_list<std::string_view> config_names) const;
  std::string qualified(std::string_view schema, std::string_view table) const {
    return identifier(schema) + "." + identifier(table);
  }
  // The placeholder for the n-th (1-based) bound parameter: "$2::date" / ":2". Numbered, because
  // the values of one statement may be added in any order (fmt::format arguments).
  virtual std::string placeholder(int n, SqlType type) const = 0;
  // The column type as the warehouse spells it (numeric(20,2) / NUMBER(20,2), timestamptz /
  // TIMESTAMP_TZ, ...).
  virtual std::string type_name(const ColumnType& type) const = 0;

  // Time Travel: `relation` as it was just before the statement whose id is bound at
  // `id_placeholder` (Snowflake: `t BEFORE(STATEMENT => ?)`). Only when supports_time_travel().
  virtual bool supports_time_travel() const { return false; }
  virtual std::string before_statement(const std::string& relation, const std::string& id_placeholder) const;
  // Whether an error says the Time Travel data has expired (past the retention period).
  virtual bool is_time_travel_expired(const Error&) const { return false; }
};

class Warehouse {
 public:
  virtual ~Warehouse() = default;

  virtual const Dialect& dialect() const = 0;
  // The schema the connection's tables live in (from the config), as written there.
  virtual const std::string& schema() const = 0;

  // One statement with its parameters bound; throws sluice::Error (runtime, with the server's
  // message, detail and hint) when the warehouse refuses it.
  virtual SqlResult query(const std::string& sql, const std::vector<SqlParam>& params = {}) = 0;

  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  virtual bool in_transaction() const = 0;

  // Serialises writers of one table (loads, deletes, restores, and any other writer) until the
  // transaction ends; readers go on. Takes the lock the PostgreSQL load takes. The table must exist.
  virtual void lock_table(const std::string& schema, const std::string& table) = 0;

  // Creates the load history table (sluice_load_history in schema()) if missing, and brings an
  // older one up to date. Outside a transaction.
  virtual void ensure_load_history() = 0;

  // Folded names of the table's columns in table order; empty when the table does not exist.
  std::vector<std::string> columns(const std::string& schema, const std::string& table);
  bool table_exists(const std::string& schema, const std::string& table) { return !columns(schema, table).empty(); }
};

// Opens a Warehouse for a configured connection (the app provides it; it starts the embedded
// server when needed). Throws sluice::Error.
using WarehouseOpener = std::function<std::unique_ptr<Warehouse>(const ConnectionSpec&)>;

// The history of loads, deletes and restores, kept in every target schema.
inline constexpr const char* kLoadHistoryTable = "sluice_load_history";

// Builds the parameter list of one statement while its text is written: add() keeps the value and
// returns the placeholder to put in the SQL, so no value is ever spliced into SQL text.
class SqlParams {
 public:
  explicit SqlParams(const Dialect& dialect) : dialect_(dialect) {}
  std::string add(SqlValue value, SqlType type = SqlType::text);
  std::string add(std::int64_t value) { return add(std::to_string(value), SqlType::integer); }
  const std::vector<SqlParam>& list() const { return params_; }

 private:
  const Dialect& dialect_;
  std::vector<SqlParam> params_;
};

// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
template <class F>
auto in_transaction(Warehouse& w, F&& body) {
  w.begin();
  try {
    if constexpr (std::is_void_v<decltype(body())>) {
      body();
      w.commit();
    } else {
      auto result = body();
      w.commit();
      return result;
    }
  } catch (...) {
    w.rollback();
    throw;
  }
}

}  // namespace sluice
