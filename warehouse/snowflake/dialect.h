// Snowflake spelling of identifiers, literals and types. Config names are folded to upper case
// (what an unquoted name means to Snowflake, so analysts can query FACT_LENDING without quotes) and
// then always quoted; literals escape quotes and backslashes (a backslash is an escape character
// in Snowflake string literals).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/column_type.h"

namespace sluice::snowflake {

std::string normalize_identifier(std::string_view name);  // ASCII upper case
std::string quote_identifier(std::string_view name);      // "name", embedded quotes doubled
std::string identifier(std::string_view config_name);     // quote_identifier(normalize_identifier())
std::string qualified(std::string_view schema, std::string_view table);
std::string string_literal(std::string_view value);       // 'it''s a \\ backslash'
// NUMBER(38,0) for integers, NUMBER(p,s), VARCHAR(n), FLOAT, BOOLEAN, DATE, TIMESTAMP_NTZ, ...
std::string type_name(const ColumnType& type);

// A table column's type as INFORMATION_SCHEMA.COLUMNS describes it
// (https://docs.snowflake.com/en/sql-reference/info-schema/columns): DATA_TYPE is the standard
// type (TEXT for every string type, NUMBER for every fixed-point one, FLOAT, BOOLEAN, DATE,
// TIMESTAMP_NTZ/_LTZ/_TZ, ...), with CHARACTER_MAXIMUM_LENGTH for TEXT and NUMERIC_PRECISION /
// NUMERIC_SCALE for NUMBER (a NULL is the type's default).
struct CatalogType {
  std::string data_type;
  std::optional<std::int64_t> length, precision, scale;
};
// As a ColumnType (TEXT of the largest length is text); nullopt for a type with no ColumnKind.
std::optional<ColumnType> column_type(const CatalogType& type);
// As Snowflake spells it in DDL, for messages: VARCHAR(7), NUMBER(38,0), TIMESTAMP_NTZ.
std::string display_name(const CatalogType& type);
// What INFORMATION_SCHEMA shows (through column_type) for a column created as type_name(type):
// integers are NUMBER(38,0), char(n) is TEXT of n characters, an unconstrained numeric is
// NUMBER(38,12).
ColumnType stored_type(const ColumnType& type);

}  // namespace sluice::snowflake
