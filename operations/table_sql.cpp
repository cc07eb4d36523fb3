#include "operations/table_sql.h"

#include <fmt/format.h>

#include "operations/table_qc.h"

namespace sluice {

std::optional<DateRange> RowsByDay::found() const {
  if (days.empty()) return std::nullopt;
  return DateRange{days.begin()->first, days.rbegin()->first};
}

TableSql::TableSql(const Dialect& dialect, const TableSpec& table, std::string schema, std::string relation)
    : dialect_(dialect), table_(table), schema_(std::move(schema)), relation_(std::move(relation)) {
  date_index_ = table.date_column_index();
  if (date_index_ < 0) return;
  const ColumnType& t = date_column().type;
  if (t.kind == ColumnKind::date) kind_ = DateKind::date;
  else if (t.is_temporal()) kind_ = DateKind::timestamp;
  else if (t.is_integer() || t.kind == ColumnKind::numeric) kind_ = DateKind::number;
  else kind_ = DateKind::text;
  // One definition of the table's date parser: the one its file QC uses.
  parser_ = table_qc_settings(table, std::nullopt, false).date_parser;
  if (kind_ == DateKind::date || kind_ == DateKind::timestamp) parser_ = DateParser();  // the warehouse prints ISO
}

TableSql::TableSql(const Dialect& dialect, const TableSpec& table, std::string schema)
    : TableSql(dialect, table, schema, dialect.qualified(schema, table.table)) {}

std::string TableSql::display_name() const { return dialect_.fold(schema_) + "." + dialect_.fold(table_.table); }

std::string TableSql::display_column(std::string_view config_name) const {
  return dialect_.fold(table_.table) + "." + dialect_.fold(config_name);
}

const ColumnSpec& TableSql::date_column() const { return table_.columns.at(static_cast<std::size_t>(date_index_)); }

std::string TableSql::day_expr() const {
  const std::string c = column(date_column().name);
  return kind_ == DateKind::timestamp ? fmt::format("CAST({} AS DATE)", c) : c;
}

std::optional<DayNumber> TableSql::parse_day(std::string_view value) const {
  if (kind_ == DateKind::number) {
    // numeric(10,2) prints 20240131.00: the fraction must be zero.
    if (const auto dot = value.find('.'); dot != std::string_view::npos) {
      if (value.find_first_not_of('0', dot + 1) != std::string_view::npos) return std::nullopt;
      value = value.substr(0, dot);
    }
  }
  DayNumber day = 0;
  if (!parser_.parse(value, day)) return std::nullopt;
  return day;
}

RowsByDay TableSql::rows_by_day(Warehouse& w, const std::optional<DateRange>& range) const {
  RowsByDay out;
  if (!has_date()) {
    out.rows = static_cast<std::uint64_t>(w.query(fmt::format("SELECT count(*) FROM {}", relation_)).integer(0, 0));
    return out;
  }
  SqlParams p(dialect_);
  std::string where;
  // A text column is grouped over the whole table and the range picked out here: its values are
  // only known to be dates once parsed.
  if (range && kind_ != DateKind::text) where = " WHERE " + in_range(*range, out, p);
  const SqlResult r = w.query(fmt::format("SELECT {} AS day_value, count(*) AS n FROM {}{} GROUP BY 1", day_expr(), relation_, where),
                              p.list());
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto n = static_cast<std::uint64_t>(r.integer(i, 1));
    if (r.is_null(i, 0)) {
      if (!range) {
        out.null_dates += n;
        out.rows += n;
      }
      continue;
    }
    const std::string& value = r.text(i, 0);
    const auto day = parse_day(value);
    if (!day) {
      if (range && kind_ == DateKind::text) continue;  // not a date, so in no range
      out.bad_dates += n;
      out.rows += n;
      if (out.bad_examples.size() < 5) out.bad_examples.push_back(value);
      continue;
    }
    if (range && !range->contains(*day)) continue;
    out.days[*day] += n;
    out.rows += n;
    if (kind_ == DateKind::text) out.text_values.push_back(value);
  }
  return out;
}

std::string TableSql::in_range(const DateRange& range, const RowsByDay& found, SqlParams& p) const {
  if (!has_date())
    throw usage_error(fmt::format("table {} has no date_column", table_.table), table_.position.str(),
                      "Add date_column: to the table's config entry.");
  const std::string c = column(date_column().name);
  switch (kind_) {
    case DateKind::date:
      return fmt::format("{} BETWEEN {} AND {}", c, p.add(format_iso(range.first), SqlType::date),
                         p.add(format_iso(range.last), SqlType::date));
    case DateKind::timestamp:
      return fmt::format("{c} >= {} AND {c} < {}", p.add(format_iso(range.first), SqlType::date),
                         p.add(format_iso(range.last + 1), SqlType::date), fmt::arg("c", c));
    case DateKind::number:
      return fmt::format("{} BETWEEN {} AND {}", c, p.add(std::stoll(format_compact(range.first))),
                         p.add(std::stoll(format_compact(range.last))));
    case DateKind::text: {
      if (found.text_values.empty()) return "1 = 0";
      // PostgreSQL binds at most 65535 values in one statement.
      if (found.text_values.size() > 30000)
        throw usage_error(fmt::format("{} has {} distinct text values in {}: too many to select by value",
                                      display_column(date_column().name), found.text_values.size(), range.str()),
                          "a text date column is selected by its exact values in the range",
                          "Use a shorter range, or make the column a date (or YYYYMMDD integer) column.");
      std::string list;
      for (const auto& v : found.text_values) list += (list.empty() ? "" : ", ") + p.add(v);
      return fmt::format("{} IN ({})", c, list);
    }
    case DateKind::none: break;
  }
  return "1 = 0";
}

std::string TableSql::column_list() const {
  std::string out;
  for (const auto& c : table_.columns) out += (out.empty() ? "" : ", ") + column(c.name);
  return out;
}

}  // namespace sluice
