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

// How an existing table column's type relates to the type the config declares for it. A load
// checks it before scanning: file QC accepts a value by the config's type, so a table type that
// takes less would reject the value in the middle of the load (text against varchar(7)) or change
// it silently (numeric(12,4) against numeric(12,2) rounds). The dangerous direction is a config
// type wider than the table's.
enum class TypeFit {
  same,       // the same type, in whatever spelling (int4 and integer, float8 and double)
  holds,      // another type that takes every value the config's accepts, unchanged: varchar(10)
              // into text, integer into bigint, numeric(10,2) into numeric(12,2), date into timestamp
  narrower,   // the table rejects or changes some values the config's type accepts: text into
              // varchar(7), bigint into integer, numeric(12,2) into numeric(10,2) or numeric(12,1)
  different,  // another kind of type (integer against text, timestamp against timestamptz, or a
              // type sluice does not know): the config does not describe the table
};

// `table` nullopt: the table's type is none of ColumnKind's.
TypeFit compare_column_types(const ColumnType& config, const std::optional<ColumnType>& table);
// Why a load refuses a narrower or different type, for its message; "" for same and holds.
std::string_view type_fit_reason(TypeFit fit);
// The line a load's refusal lists for one column: "fact.code: config text, table
// character varying(7): the table's type is narrower: ..." (`table_type` as the catalog spells it).
std::string describe_type_mismatch(std::string_view table_column, const ColumnType& config,
                                   std::string_view table_type, TypeFit fit);

// The list shown in errors when a type is not recognised.
inline constexpr std::string_view kColumnTypeList =
    "text, varchar(n), char(n), smallint, integer, bigint, numeric(p,s), real, double, boolean, "
    "date, timestamp, timestamptz";

}  // namespace sluice
