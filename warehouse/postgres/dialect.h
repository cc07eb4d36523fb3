// PostgreSQL spelling of identifiers and types. Config names are folded to lower case (what an
// unquoted name means to PostgreSQL, so analysts can query `fact_lending` without quotes) and then
// always quoted, so no name is ever spliced into SQL raw.
#pragma once

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
// The information_schema.columns data_type values compatible with a config type.
bool type_compatible(const ColumnType& type, std::string_view information_schema_type);

}  // namespace sluice::pg
