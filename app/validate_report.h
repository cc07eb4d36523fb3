// How `sluice validate` reads: text (a verdict table, then each table's facts and findings), JSON
// (field names documented in the README), or CSV (one line per table).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "operations/validate_operation.h"

namespace sluice {

std::string render_validate_text(const ValidateSummary& summary);
nlohmann::json render_validate_json(const ValidateSummary& summary);
std::string render_validate_csv(const ValidateSummary& summary);

// One table's validation as JSON (also used by `report`).
nlohmann::json table_validation_json(const TableValidation& v);

}  // namespace sluice
