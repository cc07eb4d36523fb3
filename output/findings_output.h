// How findings read, for every command that prints them (load, analyze, compress, validate) and
// for the menu, which rebuilds them from a job's JSON result: one text layout and one JSON
// spelling, whose field names are written and read here only.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "validators/file_qc/findings.h"

namespace sluice {

// "    ERROR check: message" (after `indent`), then, six spaces in, each example as
// file:line:column (field N): note | "value", how many more there are, the details and the hint.
std::string render_findings(const std::string& file, const std::vector<Finding>& findings,
                            const std::string& indent = "    ");

// The findings as a JSON array: check, severity, message, count, examples {line, column, field,
// value, note}, details, hint.
nlohmann::json findings_json(const std::vector<Finding>& findings);
// The findings of such an array, read as tolerantly as the menu reads any result. A check this
// build does not know (a result written by another version) is left out.
std::vector<Finding> findings_from_json(const nlohmann::json& list);

}  // namespace sluice
