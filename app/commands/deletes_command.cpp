// `sluice deletes`: what `sluice delete` removed from the configured tables and whether
// `sluice restore JOB` can put it back. The menu's Restore screen lists it from --format json.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands/commands.h"
#include "app/output.h"
#include "core/dates.h"
#include "core/error.h"
#include "core/job_log.h"
#include "core/text_format.h"
#include "operations/restore_operation.h"
#include "output/json_text.h"

namespace sluice {

int run_deletes_command(ApplicationContext& ctx, const DeletesCommandOptions& options) {
  const OutputFormat format = parse_output_format(options.out.format);
  if (format == OutputFormat::csv) throw usage_error("deletes prints text or json", "", "Use --format text or --format json.");
  NullJobLog no_job;  // a listing records no job
  RestoreOperation op(ctx.config(), ctx.warehouse_opener(), no_job, ctx.progress());
  const std::vector<RecordedDelete> deletes = op.recorded(options.limit);
  if (format == OutputFormat::json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : deletes) {
      nlohmann::json tables = nlohmann::json::array();
      for (const auto& t : d.tables)
        tables.push_back({{"table", t.table}, {"target", t.target}, {"connection", t.connection}, {"backup", t.backup},
                          {"from", format_iso(t.range.first)}, {"to", format_iso(t.range.last)}, {"rows_deleted", t.rows},
                          {"deleted_at", t.deleted_at}, {"restored_at", t.restored_at.empty() ? nlohmann::json() : nlohmann::json(t.restored_at)},
                          {"restore_job_id", t.restore_job_id ? nlohmann::json(t.restore_job_id) : nlohmann::json()},
                          {"state", to_string(t.state)}, {"why", t.why}});
      list.push_back({{"job_id", d.job_id}, {"deleted_at", d.deleted_at}, {"state", to_string(d.state)},
                      {"restore_command", fmt::format("sluice restore {}", d.job_id)}, {"tables", tables}});
    }
    emit(json_text(nlohmann::json{{"deletes", list}}) + "\n", options.out.output);
    return 0;
  }
  if (deletes.empty()) {
    emit("No deletes recorded for the configured tables.\n", options.out.output);
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"JOB", "STATE", "TABLE", "DAYS", "ROWS", "DELETED AT", "WHY"}};
  for (const auto& d : deletes)
    for (const auto& t : d.tables)
      rows.push_back({std::to_string(d.job_id), to_string(t.state), t.target, t.range.str(),
                      grouped(static_cast<std::uint64_t>(t.rows)), t.deleted_at, t.why});
  emit(aligned_table(rows, {4}) + "\n`sluice restore JOB` puts back a restorable job's rows.\n", options.out.output);
  return 0;
}

}  // namespace sluice
