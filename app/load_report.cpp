#include "app/load_report.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/progress_renderers.h"
#include "core/text_format.h"
#include "output/findings_output.h"

namespace sluice {
std::string render_load_text(const LoadSummary& s) {
  std::uint64_t rows = 0, bytes = 0;
  for (const auto& f : s.files) {
    rows += f.rows_loaded;
    bytes += f.scan.file_bytes;
  }
  std::string out;
  const bool all_checked = !s.files.empty() && std::all_of(s.files.begin(), s.files.end(), [](const FileOutcome& f) {
    return f.status == FileStatus::checked;
  });
  if (all_checked)
    out += fmt::format("Checked {} file{} (dry run): QC passed, nothing was loaded (job {}).\n", s.files.size(),
                       s.files.size() == 1 ? "" : "s", s.job_id);
  else if (s.committed)
    out += fmt::format("Loaded {} file{}, {} rows, in {} (job {}).\n", s.files.size(), s.files.size() == 1 ? "" : "s",
                       grouped(rows), human_duration(s.seconds), s.job_id);
  else
    out += fmt::format("Nothing was loaded: every table is as it was before this run (job {}).\n", s.job_id);

  for (const auto& f : s.files) {
    const std::string name = f.file.path.filename().string();
    out += fmt::format("\n{} <- {}\n", f.target, f.file.path.string());
    // What is true now: a rolled-back load created nothing and replaced nothing.
    std::string created;
    if (f.table_created) created = s.committed ? " (table created)" : " (the table it created was rolled back)";
    out += fmt::format("  status   {}{}\n", to_string(f.status), created);
    if (f.scanned) {
      out += fmt::format("  rows     {} in the file, {} loaded", grouped(f.scan.rows), grouped(f.rows_loaded));
      if (f.rows_deleted)
        out += s.committed ? fmt::format(", {} replaced", grouped(f.rows_deleted))
                           : fmt::format(", {} would have been replaced (rolled back: still there)", grouped(f.rows_deleted));
      if (f.rows_rejected) out += fmt::format(", {} set aside", grouped(f.rows_rejected));
      out += "\n";
      const auto& qc = f.scan.qc;
      if (qc.expected_range || qc.found_range) {
        out += "  dates    ";
        if (qc.expected_range) out += "expected " + qc.expected_range->str() + "; ";
        out += qc.found_range ? "found " + qc.found_range->str() + fmt::format(" ({} days with rows)", qc.rows_per_day.size())
                              : std::string("no parseable dates");
        out += "\n";
      }
      const double secs = std::max(f.seconds, 1e-3);
      std::string size = human_bytes(static_cast<double>(f.scan.file_bytes));
      if (f.scan.compression != Compression::none)
        size += fmt::format(" {} ({} uncompressed)", to_string(f.scan.compression), human_bytes(static_cast<double>(f.scan.stream_bytes)));
      out += fmt::format("  size     {}, checksum xxh3:{:016x}\n", size, f.scan.file_checksum);
      out += fmt::format("  speed    {} at {}/s, {} rows/s\n", human_duration(secs),
                         human_bytes(f.scan.stream_bytes / secs), human_count(f.scan.rows / secs));
      if (!qc.findings.empty()) {
        out += "  QC findings:\n";
        out += render_findings(f.file.path.string(), qc.findings);
      } else if (f.scanned) {
        out += s.qc == QcMode::none        ? "  QC       none (structure only: field counts and UTF-8)\n"
               : s.qc == QcMode::warehouse ? "  QC       passed (structure in the file; validate's checks on the staged rows)\n"
                                           : "  QC       passed\n";
      }
    }
    if (f.error) {
      out += "  " + f.error->report() + "\n";
    }
    if (f.status == FileStatus::rolled_back && !f.error && !s.committed)
      out += "  (this file passed, but the load is all or nothing and another file failed)\n";
  }
  if (!s.reject_file.empty()) {
    std::uint64_t set_aside = 0;
    for (const auto& f : s.files) set_aside += f.rows_rejected;
    out += fmt::format("\n{} bad row{} set aside in {} (file, line, reason, row).\n", grouped(set_aside),
                       set_aside == 1 ? " was" : "s were", s.reject_file.string());
  }
  if (!s.not_found.empty()) {
    out += "\nNot found (not part of this load):\n";
    for (const auto& n : s.not_found) out += "  " + n + "\n";
  }
  if (!s.committed && !all_checked) out += "\nFix what is listed above and run the same command again.\n";
  return out;
}

nlohmann::json render_load_json(const LoadSummary& s) {
  nlohmann::json j{{"job_id", s.job_id}, {"committed", s.committed}, {"seconds", s.seconds}, {"qc", to_string(s.qc)},
                   {"exit_code", static_cast<int>(s.exit_code())}, {"not_found", s.not_found},
                   {"reject_file", s.reject_file.string()}};
  j["files"] = nlohmann::json::array();
  for (const auto& f : s.files) {
    nlohmann::json fj{{"file", f.file.path.string()}, {"table", f.target}, {"status", to_string(f.status)},
                      {"rows_in_file", f.scan.rows}, {"rows_loaded", f.rows_loaded},
                      {"rows_deleted", s.committed ? f.rows_deleted : 0}, {"rows_to_replace", f.rows_deleted},
                      {"rows_rejected", f.rows_rejected}, {"table_created", s.committed && f.table_created},
                      {"file_bytes", f.scan.file_bytes},
                      {"checksum", f.scanned ? nlohmann::json(fmt::format("xxh3:{:016x}", f.scan.file_checksum))
                                             : nlohmann::json(nullptr)},
                      {"scanned", f.scanned}, {"seconds", f.seconds}};
    if (f.scan.qc.expected_range) fj["expected_range"] = f.scan.qc.expected_range->str();
    if (f.scan.qc.found_range) fj["found_range"] = f.scan.qc.found_range->str();
    nlohmann::json per_day = nlohmann::json::object();
    for (const auto& [day, n] : f.scan.qc.rows_per_day) per_day[format_iso(day)] = n;
    fj["rows_per_day"] = per_day;
    fj["qc_findings"] = findings_json(f.scan.qc.findings);
    if (f.error) fj["error"] = {{"message", f.error->primary()}, {"detail", f.error->detail()}, {"hint", f.error->hint()}};
    j["files"].push_back(fj);
  }
  return j;
}

}  // namespace sluice
