// Snowflake spelling of identifiers, literals and types. Config names are folded to upper case
// (what an unquoted name means to Snowflake, so analysts can query FACT_LENDING without quotes) and
// then always quoted; literals escape quotes and backslashes (a backslash is an escape character
// in Snowflake string literals).
#pragma once

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

}  // namespace sluice::snowflake
