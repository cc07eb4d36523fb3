#include "warehouse/snowflake/dialect.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace sluice::snowflake {

std::string normalize_identifier(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string identifier(std::string_view config_name) { return quote_identifier(normalize_identifier(config_name)); }

std::string qualified(std::string_view schema, std::string_view table) {
  return identifier(schema) + "." + identifier(table);
}

std::string string_literal(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += "''";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out + "'";
}

std::string type_name(const ColumnType& t) {
  switch (t.kind) {
    case ColumnKind::text: return "VARCHAR";
    case ColumnKind::varchar: return t.length ? fmt::format("VARCHAR({})", t.length) : "VARCHAR";
    case ColumnKind::character: return fmt::format("CHAR({})", t.length ? t.length : 1);
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint: return "NUMBER(38,0)";
    // An unconstrained numeric keeps any scale in PostgreSQL; NUMBER needs one: 12 digits.
    case ColumnKind::numeric:
      return t.precision ? fmt::format("NUMBER({},{})", t.precision, t.scale) : "NUMBER(38,12)";
    case ColumnKind::real:
    case ColumnKind::double_precision: return "FLOAT";
    case ColumnKind::boolean: return "BOOLEAN";
    case ColumnKind::date: return "DATE";
    case ColumnKind::timestamp: return "TIMESTAMP_NTZ";
    case ColumnKind::timestamptz: return "TIMESTAMP_TZ";
  }
  return "VARCHAR";
}

}  // namespace sluice::snowflake
