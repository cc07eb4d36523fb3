#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/output.h"
#include "core/text_format.h"
#include "operations/compare_operation.h"
#include "output/json_text.h"

namespace sluice {
namespace {

using nlohmann::json;

json day_json(const DayComparison& d) {
  return {{"date", format_iso(d.day)}, {"file_rows", d.file_rows}, {"table_rows", d.table_rows}, {"difference", d.difference()}};
}

json compare_json(const CompareResult& r) {
  json days = json::array(), diffs = json::array();
  for (const auto& d : r.days) days.push_back(day_json(d));
  for (const auto& d : r.differences()) diffs.push_back(day_json(d));
  return {{"file", r.file.string()},
          {"table", r.table},
          {"target", r.target},
          {"connection", r.connection},
          {"table_exists", r.table_exists},
          {"from", r.range ? json(format_iso(r.range->first)) : json(nullptr)},
          {"to", r.range ? json(format_iso(r.range->last)) : json(nullptr)},
          {"file_rows", r.file_rows},
          {"file_rows_in_range", r.file_rows_in_range},
          {"file_rows_outside_range", r.file_rows_outside_range},
          {"file_rows_undated", r.file_rows_undated},
          {"table_rows", r.table_rows},
          {"difference", static_cast<std::int64_t>(r.table_rows) - static_cast<std::int64_t>(r.file_rows_in_range)},
          {"same", r.same()},
          {"by_day", r.by_day},
          {"note", r.by_day ? json(nullptr)
                            : json("the table has no date_column: only the total row counts were compared")},
          {"exit_code", r.same() ? 0 : 3},
          {"seconds", r.seconds},
          {"days", days},
          {"differences", diffs}};
}

std::string signed_grouped(std::int64_t n) { return (n > 0 ? "+" : n < 0 ? "-" : "") + grouped(static_cast<std::uint64_t>(n < 0 ? -n : n)); }

std::string compare_text(const CompareResult& r) {
  std::string out = fmt::format("{} against {}{}:\n", r.file.string(), r.target,
                                r.range ? " over " + r.range->str() : std::string(r.by_day ? " (no dated rows in the file)" : " (no date_column: totals only)"));
  if (!r.table_exists) out += fmt::format("  the table {} does not exist\n", r.target);
  out += fmt::format("  file   {} rows", grouped(r.file_rows));
  if (r.file_rows_outside_range || r.file_rows_undated)
    out += fmt::format(" ({} in the range, {} dated outside it, {} without a valid date)", grouped(r.file_rows_in_range),
                       grouped(r.file_rows_outside_range), grouped(r.file_rows_undated));
  out += fmt::format("\n  table  {} rows{}\n", grouped(r.table_rows), r.range ? " in the range" : "");
  const auto diffs = r.differences();
  if (!r.by_day) {
    const std::int64_t d = static_cast<std::int64_t>(r.table_rows) - static_cast<std::int64_t>(r.file_rows);
    return out + (r.same() ? "\nThe same number of rows on both sides (totals only: the table has no date_column).\n"
                           : fmt::format("\nThe totals differ: table - file = {} (totals only: the table has no "
                                         "date_column, so the days that differ cannot be named).\n",
                                         signed_grouped(d)));
  }
  if (r.same()) return out + "\nThe same rows per day on both sides.\n";
  out += fmt::format("\n{} day{} differ{} (table - file = {}):\n", diffs.size(), diffs.size() == 1 ? "" : "s", diffs.size() == 1 ? "s" : "",
                     signed_grouped(static_cast<std::int64_t>(r.table_rows) - static_cast<std::int64_t>(r.file_rows_in_range)));
  std::vector<std::vector<std::string>> rows{{"DAY", "FILE", "TABLE", "TABLE - FILE"}};
  for (const auto& d : diffs)
    rows.push_back({format_iso(d.day), grouped(d.file_rows), grouped(d.table_rows), signed_grouped(d.difference())});
  return out + aligned_table(rows, {1, 2, 3}, "  ");
}

std::string compare_csv(const CompareResult& r) {
  std::string out = csv_row({"date", "file_rows", "table_rows", "difference"});
  for (const auto& d : r.days)
    out += csv_row({format_iso(d.day), std::to_string(d.file_rows), std::to_string(d.table_rows), std::to_string(d.difference())});
  return out;
}

}  // namespace

int run_compare_command(ApplicationContext& ctx, const CompareCommandOptions& options) {
  CompareOperation op(ctx.config(), ctx.warehouse_opener(), ctx.progress(), ctx.cancellation());
  const CompareResult r = op.run({options.file, options.table, options.workers});
  switch (parse_output_format(options.out.format)) {
    case OutputFormat::json: emit(json_text(compare_json(r)) + "\n", options.out.output); break;
    case OutputFormat::csv: emit(compare_csv(r), options.out.output); break;
    case OutputFormat::text: emit(compare_text(r), options.out.output); break;
  }
  return r.same() ? 0 : static_cast<int>(ExitCode::qc_failed);
}

}  // namespace sluice
