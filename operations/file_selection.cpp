#include "operations/file_selection.h"

#include <strings.h>

#include <algorithm>
#include <cstring>
#include <regex>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text_format.h"

namespace sluice {
namespace {

constexpr const char* kCompressionSuffixes[] = {"", ".gz", ".zst"};
constexpr const char* kDataExtensions[] = {".tsv", ".csv", ".txt"};

bool replace(std::string& s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  if (pos == std::string::npos) return false;
  s.replace(pos, from.size(), to);
  return true;
}

std::string regex_escape(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

// Candidate names for one base name: as written, then with another data extension, each plain or
// compressed. The written form comes first so it wins when several exist... they are reported.
std::vector<std::string> candidates(const std::string& name) {
  std::vector<std::string> out;
  std::string stem = name;
  for (const char* ext : kDataExtensions) {
    if (stem.size() > std::strlen(ext) && stem.ends_with(ext)) {
      stem.resize(stem.size() - std::strlen(ext));
      break;
    }
  }
  for (const char* sfx : kCompressionSuffixes) out.push_back(name + sfx);
  for (const char* ext : kDataExtensions)
    for (const char* sfx : kCompressionSuffixes) {
      std::string c = stem + ext + sfx;
      if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    }
  return out;
}

bool wanted(const TableSpec& t, const std::vector<std::string>& only) {
  if (only.empty()) return true;
  for (const auto& name : only)
    if (::strcasecmp(name.c_str(), t.table.c_str()) == 0) return true;
  return false;
}

}  // namespace

std::string pattern_for_month(const std::string& pattern, int year, int month) {
  std::string s = pattern;
  const DateRange r = DateRange::month(year, month);
  replace(s, "{month}", fmt::format("{:04}-{:02}", year, month));
  replace(s, "{date_range}", format_compact(r.first) + "-" + format_compact(r.last));
  return s;
}

MonthSelection select_by_month(const Config& config, const std::string& month,
                               const std::filesystem::path& base_path,
                               const std::vector<std::string>& only_tables) {
  const auto range = parse_month(month);
  if (!range)
    throw usage_error(fmt::format("invalid --month \"{}\"", month), "", "Write the month as YYYY-MM, e.g. 2024-01.");
  for (const auto& name : only_tables)
    if (!config.find_table(name))
      throw usage_error(fmt::format("table {} is not in the config", name), config.path,
                        "Check the spelling, or add the table under tables: in the config.");
  std::error_code ec;
  if (!std::filesystem::is_directory(base_path, ec))
    throw usage_error(fmt::format("base path {} is not a directory", base_path.string()), "",
                      "Pass --base-path DIR where the month's files are.");
  const CivilDate c = civil_from_days(range->first);
  MonthSelection sel;
  for (const auto& table : config.tables) {
    if (!wanted(table, only_tables)) continue;
    if (table.feed.file_pattern.find("{month}") == std::string::npos &&
        table.feed.file_pattern.find("{date_range}") == std::string::npos) {
      sel.not_found.push_back(fmt::format("{}: its file_pattern has no {{month}} or {{date_range}}", table.table));
      continue;
    }
    const std::string name = pattern_for_month(table.feed.file_pattern, c.year, c.month);
    std::vector<std::filesystem::path> found;
    const auto names = candidates(name);
    for (const auto& n : names)
      if (std::filesystem::is_regular_file(base_path / n, ec)) found.push_back(base_path / n);
    if (found.size() > 1) {
      std::string list;
      for (const auto& f : found) list += "\n  " + f.string();
      throw usage_error(fmt::format("more than one file for table {} in {}", table.table, month),
                        "found:" + list, "Keep one of them, or load one explicitly with --files.");
    }
    if (found.empty()) {
      sel.not_found.push_back(fmt::format("{}: no {} (nor .gz/.zst or .tsv/.csv/.txt variants) in {}",
                                          table.table, name, base_path.string()));
      continue;
    }
    sel.files.push_back({found.front(), &table, range});
  }
  return sel;
}

void require_regular_file(const std::filesystem::path& path, const std::string& hint) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (std::filesystem::is_regular_file(st)) return;
  if (std::filesystem::is_directory(st))
    throw usage_error(fmt::format("{} is a directory", path.string()), "a file was expected",
                      "Name a file" + (hint.empty() ? std::string(".") : "; " + hint));
  if (std::filesystem::exists(st))
    throw usage_error(fmt::format("{} is not a regular file", path.string()), "", hint.empty() ? "Name a file." : hint);
  throw usage_error(fmt::format("file {} does not exist", path.string()), ec ? ec.message() : "",
                    hint.empty() ? "Check the path." : hint);
}

std::vector<TableMatch> match_tables(const Config& config, const std::string& name) {
  std::vector<TableMatch> matches;
  for (const auto& table : config.tables) {
    std::string rx = regex_escape(table.feed.file_pattern);
    const bool has_month = replace(rx, regex_escape("{month}"), R"((\d{4}-\d{2}))");
    const bool has_range = replace(rx, regex_escape("{date_range}"), R"((\d{8}-\d{8}))");
    // Accept another data extension and a compression suffix, as month mode does.
    for (const char* ext : kDataExtensions) {
      const std::string e = regex_escape(ext);
      if (rx.size() > e.size() && rx.ends_with(e)) {
        rx.resize(rx.size() - e.size());
        rx += R"(\.(?:tsv|csv|txt))";
        break;
      }
    }
    rx += R"((?:\.gz|\.zst)?)";
    std::smatch m;
    if (!std::regex_match(name, m, std::regex(rx))) continue;
    std::optional<DateRange> range;
    if (has_month) range = parse_month(m[1].str());
    if (has_range) range = parse_compact_range(m[1].str());
    if ((has_month || has_range) && !range)
      throw usage_error(fmt::format("the date in file name {} is not a valid date", name), "",
                        "Fix the file name: {month} is YYYY-MM, {date_range} is YYYYMMDD-YYYYMMDD.");
    matches.push_back({&table, range});
  }
  return matches;
}

std::vector<SelectedFile> select_files(const Config& config, const std::vector<std::string>& files,
                                       const std::string& table_override) {
  const TableSpec* forced = nullptr;
  if (!table_override.empty()) {
    forced = config.find_table(table_override);
    if (!forced)
      throw usage_error(fmt::format("table {} is not in the config", table_override), config.path,
                        "Check the spelling, or add the table under tables: in the config.");
  }
  std::vector<SelectedFile> out;
  for (const auto& listed : files) {
    // "--files 'a.tsv, b.tsv'": the spaces after the commas are not part of the names.
    const std::string file = trim(listed);
    if (file.empty()) continue;
    const std::filesystem::path path(file);
    require_regular_file(path, "--files takes a comma-separated list of paths.");
    const std::string name = path.filename().string();
    std::vector<TableMatch> matches = match_tables(config, name);
    if (forced) {
      // The table chosen; its pattern still gives the expected range when the name matches it.
      std::optional<DateRange> range;
      for (const auto& m : matches)
        if (m.table == forced) range = m.range;
      matches = {{forced, range}};
    }
    if (matches.empty()) {
      std::string patterns;
      for (const auto& t : config.tables) patterns += fmt::format("\n  {}: {}", t.table, t.feed.file_pattern);
      throw usage_error(fmt::format("file {} matches no table's file_pattern", name),
                        "the patterns are:" + patterns, "Rename the file, or pass --table to choose the table.");
    }
    if (matches.size() > 1) {
      std::string tables;
      for (const auto& m : matches) tables += " " + m.table->table;
      throw usage_error(fmt::format("file {} matches several tables:{}", name, tables), "",
                        "Pass --table to choose one.");
    }
    out.push_back({path, matches.front().table, matches.front().range});
  }
  if (out.empty())
    throw usage_error("--files names no file", "", "Pass a comma-separated list of paths: --files a.tsv,b.tsv.");
  return out;
}

}  // namespace sluice
