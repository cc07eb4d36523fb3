// PostgreSQL spelling of identifiers and types. Config names are folded to lower case (what an
// unquoted name means to PostgreSQL, so analysts can query `fact_lending` without quotes) and then
// always quoted, so no name is ever spliced into SQL raw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/column_type.h"

namespace sluice::pg {

// Folds to lower case (ASCII), the name PostgreSQL uses for an unquoted identifier.
std::string normalize_identifier(std::string_view name);
// "name" with embedded quotes doubled; the name is used as given (normalize first if wanted).
std::string quote_identifier(std::string_view name);
// quote_identifier(normalize_identifier(name)).
std::string identifier(std::string_view config_name);
// "schema"."table" from config names.
std::string qualified(std::string_view schema, std::string_view table);
// The column type as PostgreSQL spells it: numeric(20,2), varchar(40), timestamp, ...
std::string type_name(const ColumnType& type);
// A table column's type from format_type(atttypid, atttypmod) ("character varying(7)",
// "numeric(10,2)", "timestamp(3) without time zone", "double precision"); nullopt for a type that
// is none of ColumnKind's (json, uuid, arrays, ...). A timestamp's fractional-second precision is
// not kept.
std::optional<ColumnType> column_type_from_catalog(std::string_view format_type);

}  // namespace sluice::pg
