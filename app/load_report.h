// How a load's outcome reads: a text summary a person acts on (status, rows, dates, speed, and
// every QC finding with file:line:column), or the same facts as JSON for scripts.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "operations/load_operation.h"

namespace sluice {

std::string render_load_text(const LoadSummary& summary);
nlohmann::json render_load_json(const LoadSummary& summary);

}  // namespace sluice
