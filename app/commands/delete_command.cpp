#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/confirmation.h"
#include "app/output.h"
#include "core/text_format.h"
#include "jobs/job_log_adapter.h"
#include "operations/delete_operation.h"
#include "operations/restore_operation.h"
#include "output/json_text.h"

namespace sluice {
namespace {

nlohmann::json scope_json(const DateScope& s) {
  return {{"label", s.label}, {"from", day_or_null(s.range, true)}, {"to", day_or_null(s.range, false)}};
}

// Rows per day, one line a day; by month when the range is long.
std::string per_day_text(const TableDelete& t) {
  std::vector<std::vector<std::string>> rows;
  if (t.rows_per_day.size() <= 62) {
    for (const auto& [d, n] : t.rows_per_day) rows.push_back({format_iso(d), grouped(n)});
  } else {
    std::map<std::string, std::uint64_t> months;
    for (const auto& [d, n] : t.rows_per_day) months[format_iso(d).substr(0, 7)] += n;
    for (const auto& [m, n] : months) rows.push_back({m, grouped(n)});
  }
  return aligned_table(rows, {1}, "  ");
}

std::string preview_text(const DeleteSummary& s) {
  std::string out = fmt::format("Delete {}{} from {} table{}:\n\n", s.scope.label,
                                s.scope.label == s.scope.range->str() ? "" : " (" + s.scope.range->str() + ")", s.tables.size(),
                                s.tables.size() == 1 ? "" : "s");
  std::vector<std::vector<std::string>> rows{{"TABLE", "ROWS IN RANGE", "ROWS IN TABLE", "SHARE"}};
  for (const auto& t : s.tables)
    rows.push_back({t.target, grouped(t.range_rows), grouped(t.table_rows), fmt::format("{:.1f}%", t.share())});
  out += aligned_table(rows, {1, 2, 3});
  for (const auto& t : s.tables)
    if (t.range_rows) out += fmt::format("\n{}, rows per {}:\n", t.target, t.rows_per_day.size() <= 62 ? "day" : "month") + per_day_text(t);
  for (const auto& k : s.skipped) out += "\nskipped: " + k + "\n";
  return out;
}

nlohmann::json delete_json(const DeleteSummary& s, bool dry_run) {
  nlohmann::json j{{"job_id", s.job_id}, {"scope", scope_json(s.scope)}, {"dry_run", dry_run}, {"executed", s.executed},
                   {"range_rows", s.range_rows()}, {"rows_deleted", s.rows_deleted()}, {"skipped", s.skipped}};
  j["restore_command"] = s.executed ? nlohmann::json(fmt::format("sluice restore {}", s.job_id)) : nlohmann::json(nullptr);
  j["tables"] = nlohmann::json::array();
  for (const auto& t : s.tables) {
    nlohmann::json per_day = nlohmann::json::object();
    for (const auto& [d, n] : t.rows_per_day) per_day[format_iso(d)] = n;
    j["tables"].push_back({{"table", t.table}, {"target", t.target}, {"connection", t.connection}, {"table_rows", t.table_rows},
                           {"range_rows", t.range_rows}, {"share_percent", t.share()}, {"rows_per_day", per_day},
                           {"rows_deleted", t.rows_deleted}, {"backup", t.backup.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.backup)}});
  }
  return j;
}

// The typed confirmation: "TABLE RANGE" for every table with rows to delete.
void confirm(const DeleteSummary& s) {
  for (const auto& t : s.tables) {
    if (!t.range_rows) continue;
    require_typed_confirmation(fmt::format("\nThis deletes {} rows ({:.1f}% of the table) from {}.", grouped(t.range_rows),
                                           t.share(), t.target),
                               delete_confirmation_text(t.table, s.scope.label));
  }
}

}  // namespace

int run_delete_command(ApplicationContext& ctx, const DeleteCommandOptions& options) {
  const OutputFormat format = parse_output_format(options.out.format);
  if (format == OutputFormat::csv) throw usage_error("delete prints text or json", "", "Use --format text or --format json.");
  DeleteRequest req;
  req.tables = options.tables;
  req.scope = DateScope::parse(options.month, options.from, options.to, false);
  JobStoreLog jobs(ctx.jobs());
  DeleteOperation op(ctx.config(), ctx.warehouse_opener(), jobs, ctx.progress());
  DeleteSummary plan = op.preview(req);
  const bool text = format == OutputFormat::text;
  const std::string preview = preview_text(plan);
  std::string out = text ? preview : "";
  auto finish = [&](const std::string& closing) {
    if (text) emit(out + (out.empty() ? "" : "\n") + closing + "\n", options.out.output);
    else emit(json_text(delete_json(plan, options.dry_run)) + "\n", options.out.output);
    return 0;
  };
  if (plan.range_rows() == 0) return finish(fmt::format("Nothing to delete: no rows in {}.", plan.scope.label));
  if (options.dry_run) return finish("Dry run: nothing was deleted.");
  if (!options.yes) {
    if (!ctx.interactive())
      throw usage_error("delete needs --yes when it cannot ask (--batch, or input is not a terminal)", "nothing was deleted",
                        "Check the preview with --dry-run, then run again with --yes.");
    std::fputs(preview.c_str(), stderr);
    confirm(plan);
    if (options.out.output.empty()) out.clear();  // the preview is on the screen already
  }
  op.execute(plan);
  ctx.log().info("delete job {}: {} rows from {}", plan.job_id, plan.rows_deleted(), plan.scope.label);
  std::string done = fmt::format("Deleted {} rows from {} table{} (job {}).\n", grouped(plan.rows_deleted()), plan.tables.size(),
                                 plan.tables.size() == 1 ? "" : "s", plan.job_id);
  for (const auto& t : plan.tables)
    if (t.rows_deleted) done += fmt::format("  {}: {} rows, kept in {}\n", t.target, grouped(t.rows_deleted), t.backup);
  done += fmt::format("To put them back: sluice restore {}", plan.job_id);
  return finish(done);
}

int run_restore_command(ApplicationContext& ctx, const RestoreCommandOptions& options) {
  const OutputFormat format = parse_output_format(options.out.format);
  if (format == OutputFormat::csv) throw usage_error("restore prints text or json", "", "Use --format text or --format json.");
  JobStoreLog jobs(ctx.jobs());
  RestoreOperation op(ctx.config(), ctx.warehouse_opener(), jobs, ctx.progress());
  const RestoreSummary s = op.run({options.job, options.dry_run});
  if (format == OutputFormat::json) {
    nlohmann::json j{{"job_id", s.job_id}, {"delete_job", s.delete_job}, {"dry_run", options.dry_run}, {"executed", s.executed}};
    j["tables"] = nlohmann::json::array();
    for (const auto& t : s.tables)
      j["tables"].push_back({{"table", t.table}, {"target", t.target}, {"connection", t.connection}, {"backup", t.backup},
                             {"from", format_iso(t.range.first)}, {"to", format_iso(t.range.last)}, {"rows_deleted", t.rows},
                             {"deleted_at", t.deleted_at}, {"rows_restored", t.rows_restored}});
    emit(json_text(j) + "\n", options.out.output);
    return 0;
  }
  std::string out = s.executed ? fmt::format("Restored what delete job {} removed (job {}):\n", s.delete_job, s.job_id)
                               : fmt::format("Delete job {} removed (dry run, nothing restored):\n", s.delete_job);
  std::vector<std::vector<std::string>> rows{{"TABLE", "DAYS", "ROWS", "FROM", "DELETED AT"}};
  for (const auto& t : s.tables)
    rows.push_back({t.target, t.range.str(), grouped(s.executed ? t.rows_restored : static_cast<std::uint64_t>(t.rows)), t.backup,
                    t.deleted_at});
  out += aligned_table(rows, {2}, "  ");
  emit(out, options.out.output);
  return 0;
}

}  // namespace sluice
