#include "warehouse/snowflake/dialect.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/text_format.h"

namespace sluice::snowflake {

std::string normalize_identifier(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string quote_identifier(std::string_view name) { return double_quoted(name); }

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

namespace {

// A VARCHAR without a length is the longest; 16 MB long, 128 MB in accounts with the 2025 limits.
constexpr std::int64_t kVarcharDefaultLength = 16777216;
// An unconstrained numeric keeps any scale in PostgreSQL; NUMBER needs one: 12 digits.
constexpr int kUnconstrainedScale = 12;
constexpr int kMaxPrecision = 38;

}  // namespace

std::string type_name(const ColumnType& t) {
  switch (t.kind) {
    case ColumnKind::text: return "VARCHAR";
    case ColumnKind::varchar: return t.length ? fmt::format("VARCHAR({})", t.length) : "VARCHAR";
    case ColumnKind::character: return fmt::format("CHAR({})", t.length ? t.length : 1);
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint: return fmt::format("NUMBER({},0)", kMaxPrecision);
    case ColumnKind::numeric:
      return fmt::format("NUMBER({},{})", t.precision ? t.precision : kMaxPrecision,
                         t.precision ? t.scale : kUnconstrainedScale);
    case ColumnKind::real:
    case ColumnKind::double_precision: return "FLOAT";
    case ColumnKind::boolean: return "BOOLEAN";
    case ColumnKind::date: return "DATE";
    case ColumnKind::timestamp: return "TIMESTAMP_NTZ";
    case ColumnKind::timestamptz: return "TIMESTAMP_TZ";
  }
  return "VARCHAR";
}

std::optional<ColumnType> column_type(const CatalogType& c) {
  ColumnType t;
  const std::string& d = c.data_type;
  if (d == "TEXT") {
    if (c.length && *c.length < kVarcharDefaultLength) {
      t.kind = ColumnKind::varchar;
      t.length = static_cast<int>(*c.length);
    }
  } else if (d == "NUMBER") {
    t.kind = ColumnKind::numeric;
    t.precision = static_cast<int>(c.precision.value_or(kMaxPrecision));
    t.scale = static_cast<int>(c.scale.value_or(0));
  } else if (d == "FLOAT") {
    t.kind = ColumnKind::double_precision;
  } else if (d == "BOOLEAN") {
    t.kind = ColumnKind::boolean;
  } else if (d == "DATE") {
    t.kind = ColumnKind::date;
  } else if (d == "TIMESTAMP_NTZ") {
    t.kind = ColumnKind::timestamp;
  } else if (d == "TIMESTAMP_TZ" || d == "TIMESTAMP_LTZ") {
    t.kind = ColumnKind::timestamptz;  // both keep the instant a value with an offset names
  } else {
    return std::nullopt;
  }
  return t;
}

std::string display_name(const CatalogType& c) {
  if (c.data_type == "TEXT")
    return c.length && *c.length < kVarcharDefaultLength ? fmt::format("VARCHAR({})", *c.length) : "VARCHAR";
  if (c.data_type == "NUMBER")
    return fmt::format("NUMBER({},{})", c.precision.value_or(kMaxPrecision), c.scale.value_or(0));
  return c.data_type;
}

ColumnType stored_type(const ColumnType& t) {
  ColumnType s = t;
  switch (t.kind) {
    case ColumnKind::character:
      s.kind = ColumnKind::varchar;
      s.length = t.length ? t.length : 1;
      break;
    case ColumnKind::smallint:
    case ColumnKind::integer:
    case ColumnKind::bigint:
      s = ColumnType{ColumnKind::numeric, 0, kMaxPrecision, 0};
      break;
    case ColumnKind::numeric:
      if (!t.precision) s = ColumnType{ColumnKind::numeric, 0, kMaxPrecision, kUnconstrainedScale};
      break;
    case ColumnKind::real: s.kind = ColumnKind::double_precision; break;
    case ColumnKind::varchar:
      if (!t.length) s.kind = ColumnKind::text;
      break;
    default: break;
  }
  return s;
}

}  // namespace sluice::snowflake
