// How the warehouse commands (validate, delete, restore, report, compare) hand over what they
// produced: text for people (aligned columns), JSON or CSV for scripts, on stdout or in a file
// (--output, replaced atomically).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/dates.h"

namespace sluice {

enum class OutputFormat { text, json, csv };
OutputFormat parse_output_format(const std::string& name);  // "text" | "json" | "csv"

// Writes `content` to `path` (through a temporary file renamed into place), or to stdout when
// `path` is empty. Throws a runtime error naming the path.
void emit(const std::string& content, const std::filesystem::path& path);

// One CSV record (RFC 4180: fields with , " CR or LF are quoted, quotes doubled), ending in \n.
std::string csv_row(const std::vector<std::string>& fields);

// Rows as aligned columns, two spaces apart; columns listed in `right` are right-aligned (numbers).
// The first row is the header. Every line ends in \n and starts with `indent`.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows, const std::vector<std::size_t>& right = {},
                          const std::string& indent = "");

// The first (or last) day of a range as JSON, "2024-01-31", or null when there is no range.
nlohmann::json day_or_null(const std::optional<DateRange>& range, bool first);

}  // namespace sluice
