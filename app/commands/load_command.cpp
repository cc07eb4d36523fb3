#include <cstdio>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands/commands.h"
#include "app/load_report.h"
#include "app/output.h"
#include "jobs/job_log_adapter.h"
#include "output/json_text.h"

namespace sluice {

int run_load_command(ApplicationContext& ctx, const LoadCommandOptions& options) {
  const Config& config = ctx.config();
  JobStoreLog jobs(ctx.jobs());
  LoadOperation op(config, [&](const ConnectionSpec& c) { return ctx.postgres_conninfo(c); }, jobs, ctx.progress(),
                   ctx.cancellation());
  const LoadSummary summary = op.run(options.request);
  const std::string text = render_load_text(summary);
  ctx.log().info("load job {}: {}", summary.job_id, summary.committed ? "committed" : "nothing loaded");
  ctx.log().debug("{}", text);
  emit(options.out.is_json() ? json_text(render_load_json(summary)) + "\n" : text, options.out.output);
  return static_cast<int>(summary.exit_code());
}

}  // namespace sluice
