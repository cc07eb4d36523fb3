#include "warehouse/postgres/dialect.h"

#include <fmt/format.h>

namespace sluice::pg {

std::string normalize_identifier(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string identifier(std::string_view config_name) { return quote_identifier(normalize_identifier(config_name)); }

std::string qualified(std::string_view schema, std::string_view table) {
  return identifier(schema) + "." + identifier(table);
}

std::string type_name(const ColumnType& t) {
  switch (t.kind) {
    case ColumnKind::text: return "text";
    case ColumnKind::varchar: return t.length ? fmt::format("varchar({})", t.length) : "varchar";
    case ColumnKind::character: return t.length ? fmt::format("char({})", t.length) : "char";
    case ColumnKind::smallint: return "smallint";
    case ColumnKind::integer: return "integer";
    case ColumnKind::bigint: return "bigint";
    case ColumnKind::numeric: return t.precision ? fmt::format("numeric({},{})", t.precision, t.scale) : "numeric";
    case ColumnKind::real: return "real";
    case ColumnKind::double_precision: return "double precision";
    case ColumnKind::boolean: return "boolean";
    case ColumnKind::date: return "date";
    case ColumnKind::timestamp: return "timestamp";
    case ColumnKind::timestamptz: return "timestamptz";
  }
  return "text";
}

bool type_compatible(const ColumnType& t, std::string_view s) {
  switch (t.kind) {
    case ColumnKind::text:
    case ColumnKind::varchar:
    case ColumnKind::character:
      return s == "text" || s == "character varying" || s == "character";
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint:
      // A wider integer column holds every value of a narrower one.
      if (s == "bigint" || s == "numeric") return true;
      if (s == "integer") return t.kind != ColumnKind::bigint;
      return s == "smallint" && t.kind == ColumnKind::smallint;
    case ColumnKind::numeric:
      return s == "numeric" || s == "double precision";
    case ColumnKind::real:
    case ColumnKind::double_precision:
      return s == "real" || s == "double precision" || s == "numeric";
    case ColumnKind::boolean: return s == "boolean";
    case ColumnKind::date: return s == "date" || s == "timestamp without time zone" || s == "timestamp with time zone";
    case ColumnKind::timestamp:
    case ColumnKind::timestamptz:
      return s == "timestamp without time zone" || s == "timestamp with time zone";
  }
  return false;
}

}  // namespace sluice::pg
