#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/output.h"
#include "app/validate_report.h"
#include "jobs/job_log_adapter.h"
#include "operations/validate_operation.h"
#include "output/json_text.h"

namespace sluice {

int run_validate_command(ApplicationContext& ctx, const ValidateCommandOptions& options) {
  ValidateRequest req;
  req.tables = options.tables;
  req.scope = DateScope::parse(options.month, options.from, options.to, true);
  req.record = !options.no_record;
  const Config& config = ctx.config();
  JobStoreLog jobs(ctx.jobs());
  ValidateOperation op(config, ctx.warehouse_opener(), jobs, ctx.progress());
  const ValidateSummary summary = op.run(req);
  ctx.log().info("validate job {}: {}", summary.job_id, summary.passed() ? "passed" : "failed");
  switch (parse_output_format(options.out.format)) {
    case OutputFormat::json: emit(json_text(render_validate_json(summary)) + "\n", options.out.output); break;
    case OutputFormat::csv: emit(render_validate_csv(summary), options.out.output); break;
    case OutputFormat::text: emit(render_validate_text(summary), options.out.output); break;
  }
  return static_cast<int>(summary.exit_code());
}

}  // namespace sluice
