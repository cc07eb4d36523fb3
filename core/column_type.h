// The column types a config may declare, independent of any warehouse. The dialect layer maps them
// to each target's spelling; file QC checks values against them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice {

enum class ColumnKind {
  text, varchar, character, smallint, integer, bigint, numeric, real, double_precision, boolean,
  date, timestamp, timestamptz,
};

struct ColumnType {
  ColumnKind kind = ColumnKind::text;
  int length = 0;     // varchar(n) / char(n); 0 = unbounded
  int precision = 0;  // numeric(p,s); 0 = unconstrained
  int scale = 0;

  bool operator==(const ColumnType&) const = default;
  bool is_integer() const {
    return kind == ColumnKind::smallint || kind == ColumnKind::integer || kind == ColumnKind::bigint;
  }
  bool is_temporal() const {
    return kind == ColumnKind::date || kind == ColumnKind::timestamp || kind == ColumnKind::timestamptz;
  }
  bool is_textual() const {
    return kind == ColumnKind::text || kind == ColumnKind::varchar || kind == ColumnKind::character;
  }
};

// Parses "integer", "bigint", "numeric(20,2)", "varchar(40)", "date", ... (case-insensitive; common
// synonyms such as int, int8, decimal, string, float8, bool, datetime accepted).
std::optional<ColumnType> parse_column_type(std::string_view spelling);
// Why parse_column_type refused `spelling`, as one phrase: "in \"numeric(2,5)\" the scale 5 is
// greater than the precision 2 ...", "unknown type \"strng\"".
std::string column_type_problem(std::string_view spelling);

// Canonical spelling: "numeric(20,2)", "varchar(40)", "bigint".
std::string to_string(const ColumnType& type);

// The list shown in errors when a type is not recognised.
inline constexpr std::string_view kColumnTypeList =
    "text, varchar(n), char(n), smallint, integer, bigint, numeric(p,s), real, double, boolean, "
    "date, timestamp, timestamptz";

}  // namespace sluice
