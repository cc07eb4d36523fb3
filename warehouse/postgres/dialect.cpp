#include "warehouse/postgres/dialect.h"

#include <fmt/format.h>

#include "core/text_format.h"

namespace sluice::pg {

std::string normalize_identifier(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string quote_identifier(std::string_view name) { return double_quoted(name); }

std::string identifier(std::string_view config_name) { return quote_identifier(normalize_identifier(config_name)); }

std::string qualified(std::string_view schema, std::string_view table) {
  return identifier(schema) + "." + identifier(table);
}

std::string type_name(const ColumnType& t) {
  // The config's spellings are PostgreSQL's, but for double, which PostgreSQL spells in two words.
  return t.kind == ColumnKind::double_precision ? "double precision" : to_string(t);
}

std::optional<ColumnType> column_type_from_catalog(std::string_view format_type) {
  std::string spelling(format_type);
  // timestamp(3) without time zone: rounding to fewer fractional digits is not a type of its own.
  if (spelling.rfind("timestamp(", 0) == 0)
    if (const auto close = spelling.find(')'); close != std::string::npos) spelling.erase(9, close - 8);
  return parse_column_type(spelling);
}

}  // namespace sluice::pg
