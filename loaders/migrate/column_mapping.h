// How a source column becomes a PostgreSQL column in `sluice migrate`: the target type, how its
// values are written, and whether every value survives (exact), survives in a wider type
// (widened), or may lose something (lossy: the plan refuses it until the config casts the column
// explicitly). The tables behind these functions, with their reasons and sources, are in
// docs/migrate-types.md; a change here changes that page.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

enum class Fidelity {
  exact,    // every value the source can hold arrives unchanged
  widened,  // every value arrives, in a type that admits more (or its text)
  lossy,    // some values would change or be refused: needs `cast:` in the config
};

// How a value is written for its PostgreSQL column.
enum class ValueKind {
  integer,      // smallint, integer, bigint
  real,         // double precision, real
  numeric,      // numeric(p,s) or numeric
  text,         // text, varchar, char
  bytes,        // bytea
  boolean,
  date,
  timestamp,    // without time zone
  timestamptz,
  time,
  json,         // json, jsonb
  passthrough,  // a PostgreSQL source's own COPY text (uuid, interval, arrays, ...)
};

struct ColumnMapping {
  std::string target_type;  // PostgreSQL's spelling: "bigint", "numeric(12,2)", "timestamptz"
  ValueKind kind = ValueKind::text;
  Fidelity fidelity = Fidelity::exact;
  std::string note;         // why, in a phrase the plan prints; "" when nothing needs saying
  int precision = 0;        // numeric(p,s); 0 = unconstrained
  int scale = 0;
  bool cast = false;        // chosen by the config's cast:, not by the table below
};

std::string_view to_string(Fidelity f);
std::string_view to_string(ValueKind k);

// SQLite: by the declared type's affinity (https://www.sqlite.org/datatype3.html, section 3.1, the
// first rule that matches), then by the name where PostgreSQL has a better type (boolean, date,
// numeric(p,s)). A column without a declared type is typed by what it holds (`only_class`: the one
// storage class its values have, "" when mixed or unknown).
ColumnMapping sqlite_column_mapping(std::string_view declared_type, std::string_view only_class = "");

// PostgreSQL: every type to itself (`format_type` spelling).
ColumnMapping postgres_column_mapping(std::string_view format_type);

// Snowflake: by INFORMATION_SCHEMA.COLUMNS.DATA_TYPE (NUMBER with NUMERIC_PRECISION and
// NUMERIC_SCALE, FLOAT, TEXT, BINARY, BOOLEAN, DATE, TIME, TIMESTAMP_NTZ/_LTZ/_TZ, VARIANT, OBJECT,
// ARRAY; anything else is written as its text).
ColumnMapping snowflake_column_mapping(std::string_view data_type, std::optional<std::int64_t> precision,
                                       std::optional<std::int64_t> scale);

// The config's cast: a PostgreSQL type written by the user. nullopt when sluice cannot write
// values for it (the caller names the column and the accepted types).
std::optional<ColumnMapping> cast_mapping(std::string_view postgres_type);

}  // namespace sluice
