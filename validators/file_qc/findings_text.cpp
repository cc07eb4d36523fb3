#include "validators/file_qc/findings_text.h"

#include <fmt/format.h>

#include "core/text_format.h"

namespace sluice {
namespace {

std::string where(const std::string& file, const Example& e) {
  std::string s = fmt::format("{}:{}", file, e.line);
  if (e.column) s += fmt::format(":{}", e.column);
  return s;
}

}  // namespace

std::string render_findings(const std::string& file, const QcReport& report) {
  std::string out;
  for (const auto& f : report.findings) {
    out += fmt::format("    {} {}: {}\n", f.severity == Severity::error ? "ERROR" : "WARNING", f.check, f.message);
    for (const auto& e : f.examples) {
      std::string text = where(file, e);
      if (e.field) text += fmt::format(" (field {})", e.field);
      if (!e.note.empty()) text += ": " + e.note;
      if (!e.value.empty()) text += fmt::format("  |  \"{}\"", e.value);
      out += "      " + text + "\n";
    }
    if (f.count > f.examples.size() && !f.examples.empty())
      out += fmt::format("      ... and {} more\n", grouped(f.count - f.examples.size()));
    for (const auto& d : f.details) out += "      " + d + "\n";
  }
  return out;
}

}  // namespace sluice
