#include "core/column_type.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace sluice {
namespace {

std::string lower_trimmed(std::string_view s) {
  std::string out;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0;
}

}  // namespace

std::optional<ColumnType> parse_column_type(std::string_view spelling) {
  const std::string s = lower_trimmed(spelling);
  std::string base = s;
  std::string args;
  if (auto open = s.find('('); open != std::string::npos) {
    if (s.back() != ')') return std::nullopt;
    base = s.substr(0, open);
    args = s.substr(open + 1, s.size() - open - 2);
  }
  ColumnType t;
  if (base == "text" || base == "string") t.kind = ColumnKind::text;
  else if (base == "varchar" || base == "charactervarying") t.kind = ColumnKind::varchar;
  else if (base == "char" || base == "character") t.kind = ColumnKind::character;
  else if (base == "smallint" || base == "int2") t.kind = ColumnKind::smallint;
  else if (base == "integer" || base == "int" || base == "int4") t.kind = ColumnKind::integer;
  else if (base == "bigint" || base == "int8") t.kind = ColumnKind::bigint;
  else if (base == "numeric" || base == "decimal" || base == "number") t.kind = ColumnKind::numeric;
  else if (base == "real" || base == "float4") t.kind = ColumnKind::real;
  else if (base == "double" || base == "doubleprecision" || base == "float8" || base == "float")
    t.kind = ColumnKind::double_precision;
  else if (base == "boolean" || base == "bool") t.kind = ColumnKind::boolean;
  else if (base == "date") t.kind = ColumnKind::date;
  else if (base == "timestamp" || base == "datetime" || base == "timestampwithouttimezone")
    t.kind = ColumnKind::timestamp;
  else if (base == "timestamptz" || base == "timestampwithtimezone") t.kind = ColumnKind::timestamptz;
  else return std::nullopt;

  if (args.empty()) {
    if (s.find('(') != std::string::npos) return std::nullopt;  // "varchar()"
    // A bare char is one character in PostgreSQL and Snowflake; spelling it char(1) everywhere
    // (QC messages, CREATE TABLE, the config generator) shows the user what they asked for.
    if (t.kind == ColumnKind::character) t.length = 1;
    return t;
  }
  if (t.kind == ColumnKind::varchar || t.kind == ColumnKind::character) {
    if (!parse_int(args, t.length) || t.length == 0) return std::nullopt;
    return t;
  }
  if (t.kind == ColumnKind::numeric) {
    auto comma = args.find(',');
    std::string_view a(args);
    if (!parse_int(a.substr(0, comma), t.precision) || t.precision < 1 || t.precision > 1000)
      return std::nullopt;
    if (comma != std::string::npos && !parse_int(a.substr(comma + 1), t.scale)) return std::nullopt;
    if (t.scale > t.precision) return std::nullopt;
    return t;
  }
  return std::nullopt;  // arguments on a type that takes none
}

std::string to_string(const ColumnType& t) {
  switch (t.kind) {
    case ColumnKind::text: return "text";
    case ColumnKind::varchar: return t.length ? fmt::format("varchar({})", t.length) : "varchar";
    case ColumnKind::character: return t.length ? fmt::format("char({})", t.length) : "char";
    case ColumnKind::smallint: return "smallint";
    case ColumnKind::integer: return "integer";
    case ColumnKind::bigint: return "bigint";
    case ColumnKind::numeric:
      return t.precision ? fmt::format("numeric({},{})", t.precision, t.scale) : "numeric";
    case ColumnKind::real: return "real";
    case ColumnKind::double_precision: return "double";
    case ColumnKind::boolean: return "boolean";
    case ColumnKind::date: return "date";
    case ColumnKind::timestamp: return "timestamp";
    case ColumnKind::timestamptz: return "timestamptz";
  }
  return "text";
}

// Re-reads a spelling parse_column_type refused, to say which part is wrong.
std::string column_type_problem(std::string_view spelling) {
  const std::string s = lower_trimmed(spelling);
  const auto open = s.find('(');
  if (open == std::string::npos) return fmt::format("unknown type \"{}\"", spelling);
  if (s.back() != ')') return fmt::format("unclosed \"(\" in type \"{}\"", spelling);
  const std::string base = s.substr(0, open), args = s.substr(open + 1, s.size() - open - 2);
  const auto bare = parse_column_type(base);
  if (!bare) return fmt::format("unknown type \"{}\"", spelling);
  if (args.empty()) return fmt::format("empty parentheses in type \"{}\"", spelling);
  if (bare->kind == ColumnKind::varchar || bare->kind == ColumnKind::character)
    return fmt::format("the length in \"{}\" must be a whole number of at least 1", spelling);
  if (bare->kind != ColumnKind::numeric) return fmt::format("type {} takes no arguments, as in \"{}\"", base, spelling);
  const auto comma = args.find(',');
  int precision = 0, scale = 0;
  const std::string_view a(args);
  if (!parse_int(a.substr(0, comma), precision) || precision < 1 || precision > 1000)
    return fmt::format("the precision in \"{}\" must be a whole number from 1 to 1000", spelling);
  if (comma != std::string::npos && !parse_int(a.substr(comma + 1), scale))
    return fmt::format("the scale in \"{}\" must be a whole number from 0 to the precision", spelling);
  if (scale > precision)
    return fmt::format("in \"{}\" the scale {} is greater than the precision {} (numeric(p,s): p digits in all, s "
                       "of them after the point)",
                       spelling, scale, precision);
  return fmt::format("unknown type \"{}\"", spelling);
}

}  // namespace sluice
