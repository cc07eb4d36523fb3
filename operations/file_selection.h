// Which files a load takes and which table each goes to: by month (every table whose file_pattern
// has a {month} or {date_range} placeholder and whose file exists under the base path, plain or
// .gz/.zst), or by an explicit list matched against the patterns. Each selection carries the date
// range the file must cover, from the month or from the placeholder in its name.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/dates.h"

namespace sluice {

struct SelectedFile {
  std::filesystem::path path;
  const TableSpec* table = nullptr;
  std::optional<DateRange> expected_range;
};

struct MonthSelection {
  std::vector<SelectedFile> files;
  std::vector<std::string> not_found;  // "TABLE: looked for a, b, c"
};

// The file name a pattern gives for a month ({month} -> 2024-01, {date_range} -> 20240101-20240131).
std::string pattern_for_month(const std::string& pattern, int year, int month);

// Month mode. `only_tables` (empty = all) restricts to those config tables.
MonthSelection select_by_month(const Config& config, const std::string& month,
                               const std::filesystem::path& base_path,
                               const std::vector<std::string>& only_tables);

// The tables whose file_pattern matches a file name, each with the range its name gives.
struct TableMatch {
  const TableSpec* table = nullptr;
  std::optional<DateRange> range;
};
std::vector<TableMatch> match_tables(const Config& config, const std::string& file_name);

// Throws a usage error unless `path` is a regular file: "is a directory", "does not exist", ...,
// with `hint` (may be empty) as what to do.
void require_regular_file(const std::filesystem::path& path, const std::string& hint = {});

// Explicit files: each must match exactly one table's pattern (or `table_override` when given).
std::vector<SelectedFile> select_files(const Config& config, const std::vector<std::string>& files,
                                       const std::string& table_override);

}  // namespace sluice
