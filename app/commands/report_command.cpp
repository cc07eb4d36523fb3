#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/config.h"
#include "app/output.h"
#include "core/text_format.h"
#include "operations/report_operation.h"
#include "output/json_text.h"

namespace sluice {
namespace {

using nlohmann::json;

std::string validation_text(const TableReport& t) {
  if (!t.validation) return "never";
  return fmt::format("{} {}", t.validation->passed ? "PASS" : "FAIL", t.validation->range ? t.validation->range->str() : "all data");
}

json table_json(const TableReport& t) {
  json j{{"config", t.config}, {"table", t.table}, {"target", t.target}, {"connection", t.connection}, {"status", t.status},
         {"exists", t.status != "missing" && t.status != "error"}, {"rows", t.rows}, {"columns", t.columns},
         {"date_column", t.date_column.empty() ? json(nullptr) : json(t.date_column)}, {"first_day", day_or_null(t.days, true)},
         {"last_day", day_or_null(t.days, false)}, {"days_with_rows", t.days_with_rows}, {"null_dates", t.null_dates},
         {"bad_dates", t.bad_dates}, {"rows_per_month", t.rows_per_month},
         {"error", t.error.empty() ? json(nullptr) : json(t.error)}};
  if (t.last_load)
    j["last_load"] = {{"file", t.last_load->file_name}, {"rows", t.last_load->rows_loaded}, {"at", t.last_load->at},
                      {"job_id", t.last_load->job_id}, {"from", day_or_null(t.last_load->range, true)},
                      {"to", day_or_null(t.last_load->range, false)}};
  else
    j["last_load"] = nullptr;
  if (t.validation)
    j["validation"] = {{"status", t.validation->passed ? "PASS" : "FAIL"}, {"from", day_or_null(t.validation->range, true)},
                       {"to", day_or_null(t.validation->range, false)}, {"rows", t.validation->rows},
                       {"reasons", t.validation->reasons}, {"at", t.validation->at}, {"job_id", t.validation->job_id}};
  else
    j["validation"] = nullptr;
  return j;
}

json report_json(const ReportSummary& s) {
  json tables = json::array(), largest = json::array(), empty = json::array(), missing = json::array();
  std::size_t pass = 0, fail = 0, never = 0;
  for (const auto& t : s.tables) {
    tables.push_back(table_json(t));
    if (t.status == "empty") empty.push_back(t.target);
    if (t.status == "missing") missing.push_back(t.target);
    if (!t.validation) ++never;
    else if (t.validation->passed) ++pass;
    else ++fail;
  }
  for (const TableReport* t : s.largest(5)) largest.push_back({{"table", t->table}, {"target", t->target}, {"rows", t->rows}});
  return {{"generated_at", s.generated_at},
          {"seconds", s.seconds},
          {"configs", s.configs},
          {"summary",
           {{"tables", s.tables.size()}, {"ok", s.count("ok")}, {"empty", s.count("empty")}, {"missing", s.count("missing")},
            {"errors", s.count("error")}, {"total_rows", s.total_rows()},
            {"validation", {{"PASS", pass}, {"FAIL", fail}, {"never", never}}}}},
          {"largest", largest},
          {"empty", empty},
          {"missing", missing},
          {"tables", tables}};
}

std::string report_csv(const ReportSummary& s) {
  std::string out = csv_row({"config", "table", "target", "connection", "status", "rows", "columns", "first_day", "last_day",
                             "days_with_rows", "months", "last_load_at", "last_load_file", "last_load_rows", "validation",
                             "validated_at", "error"});
  for (const auto& t : s.tables)
    out += csv_row({t.config, t.table, t.target, t.connection, t.status, std::to_string(t.rows), std::to_string(t.columns),
                    t.days ? format_iso(t.days->first) : "", t.days ? format_iso(t.days->last) : "", std::to_string(t.days_with_rows),
                    std::to_string(t.rows_per_month.size()), t.last_load ? t.last_load->at : "",
                    t.last_load ? t.last_load->file_name : "", t.last_load ? std::to_string(t.last_load->rows_loaded) : "",
                    t.validation ? (t.validation->passed ? "PASS" : "FAIL") : "", t.validation ? t.validation->at : "", t.error});
  return out;
}

std::string report_text(const ReportSummary& s) {
  std::string out = fmt::format("Report of {} table{} in {} config{} ({}): {} with rows, {} empty, {} missing{}; {} rows.\n\n",
                                s.tables.size(), s.tables.size() == 1 ? "" : "s", s.configs.size(), s.configs.size() == 1 ? "" : "s",
                                s.generated_at, s.count("ok"), s.count("empty"), s.count("missing"),
                                s.count("error") ? fmt::format(", {} unreadable", s.count("error")) : "", grouped(s.total_rows()));
  std::vector<std::vector<std::string>> rows{{"TABLE", "ROWS", "COLS", "FIRST DAY", "LAST DAY", "MONTHS", "LAST LOAD", "VALIDATION"}};
  for (const auto& t : s.tables) {
    if (t.status == "missing" || t.status == "error") {
      rows.push_back({t.target, "-", "-", "-", "-", "-", "-", t.status == "missing" ? "table missing" : "error: " + t.error});
      continue;
    }
    rows.push_back({t.target, grouped(t.rows), std::to_string(t.columns), t.days ? format_iso(t.days->first) : "-",
                    t.days ? format_iso(t.days->last) : "-", std::to_string(t.rows_per_month.size()),
                    t.last_load ? fmt::format("{} ({})", t.last_load->at.substr(0, 16), t.last_load->file_name) : "-", validation_text(t)});
  }
  out += aligned_table(rows, {1, 2, 5});
  if (s.configs.size() > 1) {
    out += "\nConfigs:\n";
    for (const auto& c : s.configs) out += "  " + c + "\n";
  }
  const auto largest = s.largest(5);
  if (!largest.empty()) {
    out += "\nLargest tables:\n";
    std::vector<std::vector<std::string>> l;
    for (const TableReport* t : largest) l.push_back({t->target, grouped(t->rows)});
    out += aligned_table(l, {1}, "  ");
  }
  for (const char* status : {"empty", "missing"}) {
    if (!s.count(status)) continue;
    out += fmt::format("\n{} tables:\n", status == std::string("empty") ? "Empty" : "Missing");
    for (const auto& t : s.tables)
      if (t.status == status) out += fmt::format("  {} ({}, {})\n", t.target, t.table, t.config);
  }
  for (const auto& t : s.tables) {
    if (t.rows_per_month.empty()) continue;
    out += fmt::format("\n{} rows per month:\n", t.target);
    std::vector<std::vector<std::string>> m;
    for (const auto& [month, n] : t.rows_per_month) m.push_back({month, grouped(n)});
    out += aligned_table(m, {1}, "  ");
  }
  return out;
}

}  // namespace

int run_report_command(ApplicationContext& ctx, const ReportCommandOptions& options) {
  std::vector<Config> loaded;
  std::vector<const Config*> configs;
  if (options.configs.empty()) {
    configs.push_back(&ctx.config());
  } else {
    loaded.reserve(options.configs.size());
    for (const auto& p : options.configs) loaded.push_back(load_config(p));
    for (const auto& c : loaded) configs.push_back(&c);
  }
  ReportOperation op([&](const Config&, const ConnectionSpec& c) { return ctx.open_warehouse(c); }, ctx.progress());
  const ReportSummary s = op.run(configs, options.tables);
  switch (parse_output_format(options.out.format)) {
    case OutputFormat::json: emit(json_text(report_json(s)) + "\n", options.out.output); break;
    case OutputFormat::csv: emit(report_csv(s), options.out.output); break;
    case OutputFormat::text: emit(report_text(s), options.out.output); break;
  }
  // Missing and empty tables are facts the report states; a table it could not read makes it incomplete.
  return s.count("error") ? static_cast<int>(ExitCode::runtime) : 0;
}

}  // namespace sluice
