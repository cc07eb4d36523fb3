// The JSON a job records in the job store (its args and its summary), on one line. Built as a JSON
// value, never pasted together, so a name holding a quote or a backslash stays valid JSON and reads
// back as it was; a byte that is not UTF-8 (a latin-1 file or table name) is written as the text
// \xHH, as every JSON output writes it, instead of failing the job.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sluice {

std::string job_json(const nlohmann::json& value);

}  // namespace sluice
