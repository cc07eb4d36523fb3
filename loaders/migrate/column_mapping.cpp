#include "loaders/migrate/column_mapping.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "core/text_format.h"

namespace sluice {
namespace {

std::string lowered(std::string_view s) { return ascii_lower(collapse_whitespace(s)); }

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// "decimal(10, 2)" -> base "decimal", arguments 10 and 2 (0 when absent or unreadable).
struct TypeName {
  std::string base;
  int first = 0, second = 0;
  bool has_arguments = false;
};

TypeName split_type_name(const std::string& lower) {
  TypeName t;
  const auto open = lower.find('(');
  t.base = lower.substr(0, open);
  while (!t.base.empty() && t.base.back() == ' ') t.base.pop_back();
  if (open == std::string::npos) return t;
  t.has_arguments = true;
  const auto read = [&](std::size_t from, int& out) {
    while (from < lower.size() && lower[from] == ' ') ++from;
    const char* end = lower.data() + lower.size();
    auto [p, ec] = std::from_chars(lower.data() + from, end, out);
    if (ec != std::errc()) out = 0;
    return static_cast<std::size_t>(p - lower.data());
  };
  std::size_t at = read(open + 1, t.first);
  while (at < lower.size() && lower[at] == ' ') ++at;
  if (at < lower.size() && lower[at] == ',') read(at + 1, t.second);
  return t;
}

ColumnMapping mapping(std::string type, ValueKind kind, Fidelity fidelity, std::string note = {}) {
  ColumnMapping m;
  m.target_type = std::move(type);
  m.kind = kind;
  m.fidelity = fidelity;
  m.note = std::move(note);
  return m;
}

ColumnMapping numeric_mapping(int precision, int scale, Fidelity fidelity, std::string note) {
  ColumnMapping m = mapping(precision > 0 ? fmt::format("numeric({},{})", precision, scale) : "numeric",
                            ValueKind::numeric, fidelity, std::move(note));
  m.precision = precision;
  m.scale = scale;
  return m;
}

// A typeless SQLite column (BLOB affinity: values are stored as given) by what it holds.
ColumnMapping typeless_mapping(std::string_view only_class) {
  constexpr std::string_view kWhy = "no declared type";
  if (only_class == "integer") return mapping("bigint", ValueKind::integer, Fidelity::exact, fmt::format("{}; holds only integers", kWhy));
  if (only_class == "real") return mapping("double precision", ValueKind::real, Fidelity::exact, fmt::format("{}; holds only reals", kWhy));
  if (only_class == "text") return mapping("text", ValueKind::text, Fidelity::exact, fmt::format("{}; holds only text", kWhy));
  if (only_class == "blob") return mapping("bytea", ValueKind::bytes, Fidelity::exact, fmt::format("{}; holds only blobs", kWhy));
  return mapping("text", ValueKind::text, Fidelity::widened,
                 fmt::format("{}; values of several kinds are written as text (a blob is refused)", kWhy));
}

}  // namespace

std::string_view to_string(Fidelity f) {
  switch (f) {
    case Fidelity::exact: return "exact";
    case Fidelity::widened: return "widened";
    case Fidelity::lossy: return "lossy";
  }
  return "lossy";
}

std::string_view to_string(ValueKind k) {
  switch (k) {
    case ValueKind::integer: return "integer";
    case ValueKind::real: return "real";
    case ValueKind::numeric: return "numeric";
    case ValueKind::text: return "text";
    case ValueKind::bytes: return "bytes";
    case ValueKind::boolean: return "boolean";
    case ValueKind::date: return "date";
    case ValueKind::timestamp: return "timestamp";
    case ValueKind::timestamptz: return "timestamptz";
    case ValueKind::time: return "time";
    case ValueKind::json: return "json";
    case ValueKind::passthrough: return "passthrough";
  }
  return "text";
}

ColumnMapping sqlite_column_mapping(std::string_view declared_type, std::string_view only_class) {
  const std::string lower = lowered(declared_type);
  const TypeName name = split_type_name(lower);
  if (lower.empty()) return typeless_mapping(only_class);
  // Affinity rules 1 to 4, in SQLite's order: the first that matches decides.
  if (contains(lower, "int")) {
    // A 64-bit signed integer whatever the declared width: SQLite never enforced it.
    std::string note = name.base == "integer" || name.base == "bigint" || name.base == "int8"
                           ? ""
                           : fmt::format("SQLite stores any 64-bit integer in {}", name.base);
    if (!contains(name.base, "int")) note = fmt::format("\"{}\" has INTEGER affinity (it contains INT)", name.base);
    return mapping("bigint", ValueKind::integer, Fidelity::exact, std::move(note));
  }
  if (contains(lower, "char") || contains(lower, "clob") || contains(lower, "text")) {
    std::string note = name.has_arguments ? fmt::format("SQLite never enforced the length {}", name.first) : "";
    return mapping("text", ValueKind::text, Fidelity::exact, std::move(note));
  }
  if (contains(lower, "blob")) return mapping("bytea", ValueKind::bytes, Fidelity::exact);
  if (contains(lower, "real") || contains(lower, "floa") || contains(lower, "doub"))
    return mapping("double precision", ValueKind::real, Fidelity::exact, "SQLite's REAL is an 8-byte IEEE float");
  // NUMERIC affinity: SQLite keeps what the name meant in no way, PostgreSQL can.
  if (name.base == "boolean" || name.base == "bool")
    return mapping("boolean", ValueKind::boolean, Fidelity::exact, "0 and 1 (and true/false text) become false and true");
  if (name.base == "date") return mapping("date", ValueKind::date, Fidelity::exact, "ISO text; numbers by SQLite's 'auto' rule");
  if (name.base == "datetime" || name.base == "timestamp")
    return mapping("timestamp", ValueKind::timestamp, Fidelity::exact, "ISO text; numbers by SQLite's 'auto' rule");
  if (name.base == "timestamptz" || name.base == "timestamp with time zone")
    return mapping("timestamptz", ValueKind::timestamptz, Fidelity::exact, "ISO text; numbers by SQLite's 'auto' rule");
  if (name.base == "time") return mapping("time", ValueKind::time, Fidelity::exact);
  if (name.base == "json") return mapping("json", ValueKind::json, Fidelity::exact, "kept as written (json, not jsonb)");
  if (name.base == "decimal" || name.base == "numeric") {
    if (name.first > 0 && name.first <= 1000 && name.second >= 0 && name.second <= name.first)
      return numeric_mapping(name.first, name.second, Fidelity::exact, "a value that does not fit is a finding");
    return numeric_mapping(0, 0, Fidelity::exact, "");
  }
  // Any other name (STRING, MONEY, ...) has NUMERIC affinity: SQLite turned numeric-looking text
  // in it into numbers, so its values are of several kinds; text holds them all.
  return mapping("text", ValueKind::text, Fidelity::widened,
                 fmt::format("\"{}\" has NUMERIC affinity in SQLite: its numbers are written as text", name.base));
}

ColumnMapping postgres_column_mapping(std::string_view format_type) {
  const std::string lower = lowered(format_type);
  ColumnMapping m = cast_mapping(lower).value_or(ColumnMapping{});
  m.target_type = std::string(format_type);
  m.fidelity = Fidelity::exact;
  m.cast = false;
  m.note.clear();
  // The source's COPY text goes through unchanged, whatever the type.
  m.kind = ValueKind::passthrough;
  return m;
}

ColumnMapping snowflake_column_mapping(std::string_view data_type, std::optional<std::int64_t> precision,
                                       std::optional<std::int64_t> scale) {
  std::string d(data_type);
  std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  constexpr std::string_view kSubMicro =
      "a value with digits below the microsecond is a finding (cast the column to accept rounding)";
  if (d == "NUMBER" || d == "DECIMAL" || d == "NUMERIC" || d == "FIXED") {
    // NUMBER without arguments is NUMBER(38,0) (and INT is its synonym).
    const int p = static_cast<int>(precision.value_or(38)), s = static_cast<int>(scale.value_or(0));
    if (s == 0 && p <= 4) return mapping("smallint", ValueKind::integer, Fidelity::exact);
    if (s == 0 && p <= 9) return mapping("integer", ValueKind::integer, Fidelity::exact);
    if (s == 0 && p <= 18) return mapping("bigint", ValueKind::integer, Fidelity::exact);
    return numeric_mapping(p, s, Fidelity::exact, s == 0 && p > 18 ? "wider than bigint (Snowflake's INT is NUMBER(38,0))" : "");
  }
  if (d == "FLOAT" || d == "REAL" || d == "DOUBLE")
    return mapping("double precision", ValueKind::real, Fidelity::exact, "unloaded with every digit (TME), not the 15 CSV keeps");
  if (d == "TEXT" || d == "VARCHAR" || d == "STRING" || d == "CHAR")
    return mapping("text", ValueKind::text, Fidelity::exact, "U+0000, which PostgreSQL cannot hold, is a finding");
  if (d == "BINARY" || d == "VARBINARY") return mapping("bytea", ValueKind::bytes, Fidelity::exact);
  if (d == "BOOLEAN") return mapping("boolean", ValueKind::boolean, Fidelity::exact);
  if (d == "DATE") return mapping("date", ValueKind::date, Fidelity::exact);
  if (d == "TIME") return mapping("time", ValueKind::time, Fidelity::exact, std::string(kSubMicro));
  if (d == "TIMESTAMP_NTZ" || d == "DATETIME")
    return mapping("timestamp", ValueKind::timestamp, Fidelity::exact, std::string(kSubMicro));
  if (d == "TIMESTAMP_LTZ")
    return mapping("timestamptz", ValueKind::timestamptz, Fidelity::exact, fmt::format("the instant; {}", kSubMicro));
  if (d == "TIMESTAMP_TZ")
    return mapping("timestamptz", ValueKind::timestamptz, Fidelity::lossy,
                   "timestamptz keeps the instant but not the value's own offset: cast to timestamptz to accept, or to "
                   "text to keep both");
  if (d == "VARIANT" || d == "OBJECT" || d == "ARRAY")
    return mapping("jsonb", ValueKind::json, Fidelity::widened, "JSON text; jsonb orders keys (as Snowflake's OBJECT does)");
  return mapping("text", ValueKind::text, Fidelity::widened, fmt::format("{} is written as its text (TO_VARCHAR)", d));
}

std::optional<ColumnMapping> cast_mapping(std::string_view postgres_type) {
  const std::string lower = lowered(postgres_type);
  const TypeName name = split_type_name(lower);
  const std::string& b = name.base;
  std::optional<ColumnMapping> m;
  if (b == "smallint" || b == "integer" || b == "int" || b == "bigint" || b == "int2" || b == "int4" || b == "int8")
    m = mapping(lower, ValueKind::integer, Fidelity::exact);
  else if (b == "real" || b == "double precision" || b == "float4" || b == "float8" || b == "float")
    m = mapping(lower, ValueKind::real, Fidelity::exact);
  else if (b == "numeric" || b == "decimal")
    m = numeric_mapping(name.first, name.second, Fidelity::exact, "");
  else if (b == "text" || b == "varchar" || b == "character varying" || b == "char" || b == "character")
    m = mapping(lower, ValueKind::text, Fidelity::exact);
  else if (b == "bytea")
    m = mapping(lower, ValueKind::bytes, Fidelity::exact);
  else if (b == "boolean" || b == "bool")
    m = mapping(lower, ValueKind::boolean, Fidelity::exact);
  else if (b == "date")
    m = mapping(lower, ValueKind::date, Fidelity::exact);
  else if (b == "timestamp" || b == "timestamp without time zone")
    m = mapping(lower, ValueKind::timestamp, Fidelity::exact);
  else if (b == "timestamptz" || b == "timestamp with time zone")
    m = mapping(lower, ValueKind::timestamptz, Fidelity::exact);
  else if (b == "time" || b == "time without time zone")
    m = mapping(lower, ValueKind::time, Fidelity::exact);
  else if (b == "json" || b == "jsonb")
    m = mapping(lower, ValueKind::json, Fidelity::exact);
  if (m) m->cast = true;
  return m;
}

}  // namespace sluice
