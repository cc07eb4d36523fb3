#include "warehouse/warehouse.h"

#include <charconv>

#include <fmt/format.h>

namespace sluice {

const std::string& SqlResult::text(std::size_t row, std::size_t col) const {
  static const std::string empty;
  const SqlValue& v = rows.at(row).at(col);
  return v ? *v : empty;
}

std::int64_t SqlResult::integer(std::size_t row, std::size_t col) const {
  const SqlValue& v = rows.at(row).at(col);
  if (!v) return 0;
  std::int64_t value = 0;
  std::string_view s = *v;
  // sum() over bigint is numeric in PostgreSQL: "12" or "12.0" both mean 12.
  if (const auto dot = s.find('.'); dot != std::string_view::npos && s.find_first_not_of('0', dot + 1) == std::string_view::npos)
    s = s.substr(0, dot);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size())
    throw runtime_error(fmt::format("expected an integer from the warehouse, got \"{}\"", *v),
                        fmt::format("row {}, column {}{}", row + 1, col + 1,
                                    col < columns.size() ? " (" + columns[col] + ")" : std::string()));
  return value;
}

std::string Dialect::quote(std::string_view name) const {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Dialect::identifiers(std::initializer_list<std::string_view> names) const {
  std::string out;
  for (const auto n : names) out += (out.empty() ? "" : ", ") + identifier(n);
  return out;
}

std::string Dialect::before_statement(const std::string& relation, const std::string&) const {
  throw runtime_error(fmt::format("{} has no Time Travel", name()), relation);
}

std::vector<std::string> Warehouse::columns(const std::string& schema, const std::string& table) {
  SqlParams p(dialect());
  const std::string sql = fmt::format(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = {} AND table_name = {} "
      "ORDER BY ordinal_position",
      p.add(dialect().fold(schema)), p.add(dialect().fold(table)));
  const SqlResult r = query(sql, p.list());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < r.size(); ++i) out.push_back(r.text(i, 0));
  return out;
}

std::string SqlParams::add(SqlValue value, SqlType type) {
  params_.push_back({std::move(value), type});
  return dialect_.placeholder(static_cast<int>(params_.size()), type);
}

}  // namespace sluice
