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

namespace {

// Decimal digits that hold every value of an integer kind: 32767, 2147483647, 9223372036854775807.
int integer_digits(ColumnKind k) { return k == ColumnKind::smallint ? 5 : k == ColumnKind::integer ? 10 : 19; }

// numeric(p,s) whose every value an integer kind holds: no fraction, fewer digits than its largest.
bool integer_holds(ColumnKind k, const ColumnType& numeric) {
  return numeric.precision != 0 && numeric.scale == 0 && numeric.precision < integer_digits(k);
}

// Exact decimals a binary float gives back as written: up to 15 significant digits for double, 6
// for real (DBL_DIG, FLT_DIG); integers up to 2^53 and 2^24.
int float_digits(ColumnKind k) { return k == ColumnKind::double_precision ? 15 : 6; }

TypeFit fit_of(bool holds) { return holds ? TypeFit::holds : TypeFit::narrower; }

}  // namespace

TypeFit compare_column_types(const ColumnType& c, const std::optional<ColumnType>& table) {
  if (!table) return TypeFit::different;
  const ColumnType& t = *table;
  if (c == t) return TypeFit::same;
  const bool t_float = t.kind == ColumnKind::real || t.kind == ColumnKind::double_precision;
  switch (c.kind) {
    case ColumnKind::text:
    case ColumnKind::varchar:
    case ColumnKind::character:
      if (!t.is_textual()) return TypeFit::different;
      // char(n) pads shorter values with spaces: a value that is not char in the config would change.
      if (t.kind == ColumnKind::character && c.kind != ColumnKind::character) return TypeFit::narrower;
      return fit_of(t.length == 0 || (c.length != 0 && c.length <= t.length));
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint:
      if (t.is_integer()) return fit_of(integer_digits(t.kind) >= integer_digits(c.kind));
      if (t.kind == ColumnKind::numeric)
        return fit_of(t.precision == 0 || t.precision - t.scale >= integer_digits(c.kind));
      if (t_float) return fit_of(integer_digits(c.kind) <= float_digits(t.kind));
      return TypeFit::different;
    case ColumnKind::numeric:
      if (t.kind == ColumnKind::numeric) {
        if (t.precision == 0) return TypeFit::holds;
        return fit_of(c.precision != 0 && c.scale <= t.scale && c.precision - c.scale <= t.precision - t.scale);
      }
      if (t.is_integer()) return fit_of(integer_holds(t.kind, c));
      if (t_float) return fit_of(c.precision != 0 && c.precision <= float_digits(t.kind));
      return TypeFit::different;
    case ColumnKind::real:
    case ColumnKind::double_precision:
      // PostgreSQL's unconstrained numeric takes NaN and Infinity too (since 14).
      if (t_float || (t.kind == ColumnKind::numeric && t.precision == 0))
        return fit_of(t.kind != ColumnKind::real);  // double into real loses digits
      if (t.is_integer() || t.kind == ColumnKind::numeric) return TypeFit::narrower;
      return TypeFit::different;
    case ColumnKind::boolean:
      return TypeFit::different;  // equal types returned above
    case ColumnKind::date:
      // Midnight of the day: validate and report read a timestamp date column by its date.
      return t.kind == ColumnKind::timestamp || t.kind == ColumnKind::timestamptz ? TypeFit::holds : TypeFit::different;
    case ColumnKind::timestamp:
    case ColumnKind::timestamptz:
      // Without and with a time zone are not wider or narrower: one drops the offset a value
      // has, the other reads a value without one in the session's zone.
      return t.kind == ColumnKind::date ? TypeFit::narrower : TypeFit::different;
  }
  return TypeFit::different;
}

std::string_view type_fit_reason(TypeFit fit) {
  switch (fit) {
    case TypeFit::same:
    case TypeFit::holds: return "";
    case TypeFit::narrower:
      return "the table's type is narrower: values file QC accepts would be rejected by the server in the middle of "
             "the load, or changed";
    case TypeFit::different: return "another kind of type: the config does not describe the table";
  }
  return "";
}

std::string describe_type_mismatch(std::string_view table_column, const ColumnType& config,
                                   std::string_view table_type, TypeFit fit) {
  return fmt::format("{}: config {}, table {}: {}", table_column, to_string(config), table_type, type_fit_reason(fit));
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
