// Finds the file line where a given data row starts. Used only on the error path, when the server
// rejects row N of a COPY and rows of a CSV file span lines, so N alone does not give the line.
#pragma once

#include <cstdint>
#include <filesystem>

#include "loaders/scan/file_syntax.h"

namespace sluice {

// `row` is 1-based among data rows (the header, if any, is not a data row). Returns the 1-based
// line, or 0 if the file has fewer rows.
std::uint64_t line_of_row(const std::filesystem::path& file, const FileSyntax& syntax, std::uint64_t row);

}  // namespace sluice
