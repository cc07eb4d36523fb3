#include "tui/result_text.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"

namespace sluice::tui {
namespace {

using nlohmann::json;

void append_lines(const std::string& text, std::vector<std::string>& out) {
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

std::string str(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::uint64_t num(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<std::uint64_t>() : 0;
}

void findings(const json& list, std::vector<std::string>& out) {
  for (const auto& f : list) {
    out.push_back(fmt::format("    {}: {}", str(f, "severity"), str(f, "message")));
    if (f.contains("details"))
      for (const auto& d : f["details"]) out.push_back("      " + (d.is_string() ? d.get<std::string>() : d.dump()));
  }
}

void load_lines(const json& j, std::vector<std::string>& out) {
  out.push_back(j.value("committed", false) ? "Loaded and committed." : "Nothing was committed.");
  for (const auto& f : j.value("files", json::array())) {
    out.push_back(fmt::format("  {}  {}", str(f, "status"), str(f, "file")));
    out.push_back(fmt::format("    table {}: {} rows in the file, {} loaded, {} replaced, days {}", str(f, "table"),
                              grouped(num(f, "rows_in_file")), grouped(num(f, "rows_loaded")),
                              grouped(num(f, "rows_deleted")), str(f, "found_range")));
    if (f.contains("qc_findings")) findings(f["qc_findings"], out);
    if (f.contains("error") && !f["error"].is_null()) out.push_back("    " + str(f, "error"));
  }
  for (const auto& n : j.value("not_found", json::array())) out.push_back("  no file for " + n.dump());
}

void validate_lines(const json& j, std::vector<std::string>& out) {
  out.push_back(j.value("passed", false) ? "PASS: every table passed." : "FAIL: at least one table failed.");
  for (const auto& t : j.value("tables", json::array())) {
    out.push_back(fmt::format("  {}  {} ({}): {} rows, {} of {} days with rows", str(t, "status"), str(t, "table"),
                              str(t, "target"), grouped(num(t, "rows")), num(t, "days_with_rows"), num(t, "days_expected")));
    if (t.contains("findings")) findings(t["findings"], out);
  }
}

void delete_lines(const std::string& kind, const json& j, std::vector<std::string>& out) {
  const bool dry = j.value("dry_run", false);
  if (kind == "restore") out.push_back(dry ? "Would restore:" : (j.value("executed", false) ? "Restored." : "Nothing restored."));
  else out.push_back(dry ? "Preview (nothing deleted):" : (j.value("executed", false) ? "Deleted." : "Nothing deleted."));
  for (const auto& t : j.value("tables", json::array())) {
    out.push_back(fmt::format("  {} ({}): {} rows in range, {} deleted{}", str(t, "table"), str(t, "target"),
                              grouped(num(t, "range_rows")), grouped(num(t, "rows_deleted")),
                              str(t, "backup").empty() ? "" : ", kept in " + str(t, "backup")));
  }
  if (!str(j, "restore_command").empty()) out.push_back("To put them back: " + str(j, "restore_command"));
}

}  // namespace

std::vector<std::string> describe_result(const std::string& kind, const std::string& json_text) {
  std::vector<std::string> out;
  if (json_text.find_first_not_of(" \t\r\n") == std::string::npos) return out;
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception&) {
    append_lines(json_text, out);  // not JSON (a text result): shown as it is
    return out;
  }
  if (kind == "load" && j.is_object()) load_lines(j, out);
  else if (kind == "validate" && j.is_object()) validate_lines(j, out);
  else if ((kind == "delete" || kind == "restore") && j.is_object()) delete_lines(kind, j, out);
  out.push_back("");
  out.push_back("Result (JSON):");
  append_lines(j.dump(2), out);
  return out;
}

}  // namespace sluice::tui
