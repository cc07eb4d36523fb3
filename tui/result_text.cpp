#include "tui/result_text.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_format.h"
#include "output/findings_output.h"

namespace sluice::tui {
namespace {

using nlohmann::json;

constexpr std::size_t kLogLines = 30;  // of the log, when it stands in for the result

void append_lines(const std::string& text, std::vector<std::string>& out) {
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

const json& array_at(const json& j, const char* key) {
  static const json empty = json::array();
  return j.is_object() && j.contains(key) && j[key].is_array() ? j[key] : empty;
}

// The findings of a result as the command line prints them (render_findings): severity, check and
// message, then each example's file:line:column.
std::string findings_text(const std::string& file, const json& list) {
  return render_findings(file, findings_from_json(list));
}

// Each kind's verdict from its JSON (the command's own word on how it went), and the lines behind it.
struct Read {
  bool passed = true;
  std::string verdict;
};

Read load_lines(const json& j, std::vector<std::string>& out) {
  Read r;
  const json& files = array_at(j, "files");
  const bool dry_run = !files.empty() && std::all_of(files.begin(), files.end(), [](const json& f) {
    return member_text(f, "status") == "checked (dry run)";
  });
  bool qc_failed = false;
  for (const auto& f : files) qc_failed = qc_failed || member_text(f, "status") == "QC failed";
  r.passed = j.value("committed", false) || dry_run;
  r.verdict = dry_run ? "Checked (dry run): QC passed, nothing was meant to be loaded."
              : r.passed ? "Loaded and committed."
              : qc_failed ? "QC failed: nothing was loaded."
                          : "Failed: nothing was loaded.";
  for (const auto& f : files) {
    out.push_back(fmt::format("  {}  {}", member_text(f, "status"), member_text(f, "file")));
    out.push_back(fmt::format("    table {}: {} rows in the file, {} loaded, {} replaced, days {}", member_text(f, "table"),
                              grouped(json_count(f, "rows_in_file")), grouped(json_count(f, "rows_loaded")),
                              grouped(json_count(f, "rows_deleted")), member_text(f, "found_range")));
    append_lines(findings_text(member_text(f, "file"), array_at(f, "qc_findings")), out);
    if (f.contains("error") && f["error"].is_object()) out.push_back("    " + member_text(f["error"], "message"));
  }
  for (const auto& n : array_at(j, "not_found")) out.push_back("  no file for " + n.dump());
  return r;
}

Read validate_lines(const json& j, std::vector<std::string>& out) {
  Read r;
  r.passed = j.value("passed", false);
  r.verdict = r.passed ? "PASS: every table passed." : "FAIL: at least one table failed.";
  for (const auto& t : array_at(j, "tables")) {
    out.push_back(fmt::format("  {}  {} ({}): {} rows, {} of {} days with rows", member_text(t, "status"), member_text(t, "table"),
                              member_text(t, "target"), grouped(json_count(t, "rows")), json_count(t, "days_with_rows"), json_count(t, "days_expected")));
    append_lines(findings_text("", array_at(t, "findings")), out);
  }
  return r;
}

Read analyze_lines(const json& j, std::vector<std::string>& out) {
  Read r;
  const json qc = j.contains("qc") && j["qc"].is_object() ? j["qc"] : json::object();
  r.passed = qc.value("passed", true);
  const std::string table = member_text(j, "table");
  r.verdict = fmt::format("{}: {} rows, {} columns", r.passed ? "Analyzed" : table.empty() ? "Structure problems" : "QC failed",
                          grouped(json_count(j, "rows")), json_count(j, "column_count"));
  if (!table.empty()) r.verdict += fmt::format(" (read as {}{})", table, r.passed ? ", QC passed" : "");
  append_lines(findings_text(member_text(j, "file"), array_at(qc, "findings")), out);
  return r;
}

Read delete_lines(const std::string& kind, const json& j, std::vector<std::string>& out) {
  Read r;
  const bool dry = j.value("dry_run", false);
  if (kind == "restore") r.verdict = dry ? "Would restore:" : (j.value("executed", false) ? "Restored." : "Nothing restored.");
  else r.verdict = dry ? "Preview (nothing deleted):" : (j.value("executed", false) ? "Deleted." : "Nothing deleted.");
  for (const auto& t : array_at(j, "tables")) {
    out.push_back(fmt::format("  {} ({}): {} rows in range, {} deleted{}", member_text(t, "table"), member_text(t, "target"),
                              grouped(json_count(t, "range_rows")), grouped(json_count(t, "rows_deleted")),
                              member_text(t, "backup").empty() ? "" : ", kept in " + member_text(t, "backup")));
  }
  if (!member_text(j, "restore_command").empty()) out.push_back("To put them back: " + member_text(j, "restore_command"));
  return r;
}

std::string exit_text(const std::optional<int>& code) { return code ? fmt::format("exit code {}", *code) : "no exit code"; }

// The end of the log, for a job whose result says nothing.
void log_tail(const std::string& log, std::vector<std::string>& out) {
  std::vector<std::string> lines;
  append_lines(log, lines);
  while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos) lines.pop_back();
  out.push_back(lines.empty() ? "The log is empty." : "The end of its log:");
  const std::size_t from = lines.size() > kLogLines ? lines.size() - kLogLines : 0;
  for (std::size_t i = from; i < lines.size(); ++i) out.push_back("  " + lines[i]);
}

}  // namespace

JobOutcome describe_outcome(const JobFacts& f) {
  JobOutcome o;
  // What the process says about itself: a nonzero exit or a record of failure is never a success,
  // whatever the result claims.
  const bool ended_badly = f.status == "failed" || f.status == "crashed" || f.status == "cancelled" ||
                           (f.exit_code && *f.exit_code != 0);
  const std::string how = f.status == "crashed"     ? "Crashed: the process ended without finishing"
                          : f.status == "cancelled" ? "Cancelled: nothing was published"
                                                    : "Failed";
  const auto first = f.result.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    o.success = false;
    o.verdict = ended_badly ? fmt::format("{} ({}); it printed no result.", how, exit_text(f.exit_code))
                            : fmt::format("It printed no result ({}).", exit_text(f.exit_code));
    log_tail(f.log, o.lines);
    return o;
  }
  json j;
  try {
    j = json::parse(f.result);
  } catch (const json::exception&) {
    if (f.result[first] == '{' || f.result[first] == '[') {
      // JSON cut short or broken: what it says cannot be trusted.
      o.verdict = fmt::format("{} ({}); its result could not be read.", ended_badly ? how : "Unknown outcome",
                              exit_text(f.exit_code));
      log_tail(f.log, o.lines);
      return o;
    }
    // A text result (a job run in a shell without --json): shown as it was printed.
    o.success = !ended_badly && f.exit_code.has_value();
    o.verdict = o.success ? "Succeeded." : fmt::format("{} ({}).", ended_badly ? how : "Unknown outcome", exit_text(f.exit_code));
    append_lines(f.result, o.lines);
    if (ended_badly && f.status != "failed") log_tail(f.log, o.lines);
    return o;
  }
  Read r;
  if (f.kind == "load" || f.kind == "check") r = load_lines(j, o.lines);
  else if (f.kind == "validate") r = validate_lines(j, o.lines);
  else if (f.kind == "analyze") r = analyze_lines(j, o.lines);
  else if (f.kind == "delete" || f.kind == "restore") r = delete_lines(f.kind, j, o.lines);
  else r.verdict = "Succeeded.";
  if (j.is_object() && j.contains("exit_code") && j["exit_code"].is_number_integer() && j["exit_code"].get<int>() != 0)
    r.passed = false;
  o.success = r.passed && !ended_badly;
  o.verdict = r.verdict;
  if (!o.success) {
    if (r.passed) o.verdict = how + ".";  // the result reads well, the process says otherwise
    o.verdict += fmt::format(" ({})", exit_text(f.exit_code));
  }
  o.lines.push_back("");
  o.lines.push_back("Result (JSON):");
  append_lines(j.dump(2, ' ', false, json::error_handler_t::replace), o.lines);
  if (ended_badly && f.status != "failed") log_tail(f.log, o.lines);
  return o;
}

std::string job_time(double seconds) {
  if (seconds < 59.95) return fmt::format("{:.1f}s", std::max(0.0, seconds));
  return human_duration(seconds);
}

}  // namespace sluice::tui
