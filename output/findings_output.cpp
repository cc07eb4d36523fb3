#include "output/findings_output.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"
#include "output/json_text.h"

namespace sluice {
namespace {

constexpr const char* kItemIndent = "      ";

std::string where(const std::string& file, const Example& e) {
  std::string s = fmt::format("{}:{}", file, e.line);
  if (e.column) s += fmt::format(":{}", e.column);
  return s;
}

const char* severity_text(Severity s) { return s == Severity::error ? "error" : "warning"; }

}  // namespace

std::string render_findings(const std::string& file, const std::vector<Finding>& findings, const std::string& indent) {
  std::string out;
  for (const auto& f : findings) {
    out += fmt::format("{}{} {}: {}\n", indent, f.severity == Severity::error ? "ERROR" : "WARNING", f.id(), f.message);
    for (const auto& e : f.examples) {
      std::string text = where(file, e);
      if (e.field) text += fmt::format(" (field {})", e.field);
      if (!e.note.empty()) text += ": " + e.note;
      if (!e.value.empty()) text += fmt::format("  |  \"{}\"", e.value);
      out += kItemIndent + text + "\n";
    }
    if (f.count > f.examples.size() && !f.examples.empty())
      out += fmt::format("{}... and {} more\n", kItemIndent, grouped(f.count - f.examples.size()));
    for (const auto& d : f.details) out += kItemIndent + d + "\n";
    if (!f.hint.empty()) out += fmt::format("{}HINT: {}\n", kItemIndent, f.hint);
  }
  return out;
}

nlohmann::json findings_json(const std::vector<Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : findings) {
    nlohmann::json examples = nlohmann::json::array();
    for (const auto& e : f.examples)
      examples.push_back({{"line", e.line}, {"column", e.column}, {"field", e.field}, {"value", e.value}, {"note", e.note}});
    out.push_back({{"check", f.id()}, {"severity", severity_text(f.severity)}, {"message", f.message}, {"count", f.count},
                   {"examples", examples}, {"details", f.details}, {"hint", f.hint}});
  }
  return out;
}

std::vector<Finding> findings_from_json(const nlohmann::json& list) {
  std::vector<Finding> out;
  if (!list.is_array()) return out;
  const auto array_at = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_array() ? j[key] : nlohmann::json::array();
  };
  for (const auto& f : list) {
    if (!f.is_object()) continue;
    const auto check = check_from_id(member_text(f, "check"));
    if (!check) continue;
    Finding finding;
    finding.check = *check;
    finding.severity = member_text(f, "severity") == severity_text(Severity::warning) ? Severity::warning : Severity::error;
    finding.message = member_text(f, "message");
    finding.count = json_count(f, "count");
    for (const auto& e : array_at(f, "examples")) {
      Example ex;
      ex.line = json_count(e, "line");
      ex.column = static_cast<std::uint32_t>(json_count(e, "column"));
      ex.field = static_cast<int>(json_count(e, "field"));
      ex.value = member_text(e, "value");
      ex.note = member_text(e, "note");
      finding.examples.push_back(std::move(ex));
    }
    for (const auto& d : array_at(f, "details")) finding.details.push_back(d.is_string() ? d.get<std::string>() : d.dump());
    finding.hint = member_text(f, "hint");
    out.push_back(std::move(finding));
  }
  return out;
}

}  // namespace sluice
