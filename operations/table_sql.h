// How a configured table reads in SQL on any warehouse (through the Dialect): its relation (the
// table itself, or a staging table with its columns), its date column as days, and the rows per day
// counted in one aggregated query. Shared by validate, delete, restore, report, compare and the
// warehouse QC of a load, so each reads dates the same way file QC does.
//
// Date columns: a date is used as is, a timestamp is cast to its date, an integer (or numeric) is
// read as YYYYMMDD, and text is parsed with the table's date_format (or the file QC's automatic
// forms). Ranges are selected with bound values: BETWEEN two dates or two YYYYMMDD numbers; for a
// text column, the exact values found in the range (so every spelling file QC accepts matches).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_model.h"
#include "core/dates.h"
#include "warehouse/warehouse.h"

namespace sluice {

// Rows per day of one table over a range (or all of it).
struct RowsByDay {
  std::map<DayNumber, std::uint64_t> days;   // days that have rows
  std::uint64_t rows = 0;                    // every row counted (in the range, or the whole table)
  std::uint64_t null_dates = 0;              // whole table only: rows whose date is NULL
  std::uint64_t bad_dates = 0;               // rows whose date value is not a valid date
  std::vector<std::string> bad_examples;     // the first few such values
  std::vector<std::string> text_values;      // text date column: the distinct values in the range
  std::optional<DateRange> found() const;    // min..max of the days with rows
};

class TableSql {
 public:
  // `relation` is the SQL name to read (already quoted), e.g. a staging table; `schema` is where
  // the table lives (its history and metadata are looked up there).
  TableSql(const Dialect& dialect, const TableSpec& table, std::string schema, std::string relation);
  // The table itself, in `schema`.
  TableSql(const Dialect& dialect, const TableSpec& table, std::string schema);

  const Dialect& dialect() const { return dialect_; }
  const TableSpec& spec() const { return table_; }
  const std::string& schema() const { return schema_; }
  const std::string& relation() const { return relation_; }
  // schema.table as the warehouse names it, unquoted, for messages: "public.fact_lending".
  std::string display_name() const;
  std::string folded_table() const { return dialect_.fold(table_.table); }
  std::string column(std::string_view config_name) const { return dialect_.identifier(config_name); }
  // "fact_lending.recorddateid" for messages.
  std::string display_column(std::string_view config_name) const;

  bool has_date() const { return date_index_ >= 0; }
  const ColumnSpec& date_column() const;
  // The SQL value that stands for a row's day (the date, the YYYYMMDD number, or the text).
  std::string day_expr() const;
  // A day_expr value read back as a day; nullopt when it is not a valid date.
  std::optional<DayNumber> parse_day(std::string_view value) const;

  // Rows per day in `range` (nullopt: the whole table, NULL and bad dates counted apart). One
  // aggregated query. A table without a date column gets only `rows`.
  RowsByDay rows_by_day(Warehouse& w, const std::optional<DateRange>& range) const;
  // A WHERE predicate for the rows of `range`. A text date column needs the values rows_by_day
  // found in that range; other columns use `found` not at all.
  std::string in_range(const DateRange& range, const RowsByDay& found, SqlParams& params) const;
  // The column list "a", "b", ... of the config, in config order.
  std::string column_list() const;

 private:
  enum class DateKind { none, date, timestamp, number, text };
  const Dialect& dialect_;
  const TableSpec& table_;
  std::string schema_, relation_;
  int date_index_ = -1;
  DateKind kind_ = DateKind::none;
  DateParser parser_;
};

}  // namespace sluice
