#include "app/application_context.h"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/config.h"
#include "app/embedded_postgres.h"
#include "app/job_progress_recorder.h"
#include "app/job_store.h"
#include "app/logging.h"
#include "app/progress_renderers.h"
#include "core/error.h"
#include "warehouse/postgres/postgres_warehouse.h"
#include "warehouse/snowflake/snowflake_warehouse.h"

namespace sluice {

ApplicationContext::ApplicationContext(GlobalOptions options)
    : options_(std::move(options)), paths_(Paths::from_environment()) {
  logger_ = make_logger(paths_.state_dir, options_.quiet ? "error" : options_.log_level);
  ProgressMode mode = options_.progress;
  if (mode == ProgressMode::auto_detect) mode = (!options_.quiet && ::isatty(STDERR_FILENO)) ? ProgressMode::bar : ProgressMode::none;
  std::unique_ptr<ProgressSink> shown;
  switch (mode) {
    case ProgressMode::bar: shown = std::make_unique<TerminalProgress>(stderr); break;
    case ProgressMode::json: shown = std::make_unique<JsonProgress>(stderr); break;
    default: shown = std::make_unique<NullProgress>(); break;
  }
  // Every job's progress also goes to the job store, where the menu's Jobs screen reads it.
  progress_ = std::make_unique<JobProgressRecorder>(std::move(shown), [this] { return jobs_.get(); });
}

ApplicationContext::~ApplicationContext() = default;

JobStore& ApplicationContext::jobs() {
  if (!jobs_) {
    jobs_ = std::make_unique<JobStore>(Paths::ensure(paths_.state_dir) / "jobs.sqlite");
    jobs_->reap_dead_jobs();
  }
  return *jobs_;
}

const Config& ApplicationContext::config() {
  if (config_) return *config_;
  std::vector<std::filesystem::path> tried;
  auto use = [&](const std::filesystem::path& p) -> bool {
    tried.push_back(p);
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) return false;
    config_ = load_config(p);
    config_path_ = std::filesystem::absolute(p, ec);
    log().debug("config {}", p.string());
    return true;
  };
  std::error_code ec;
  if (!options_.config_path.empty()) {
    config_ = load_config(options_.config_path);
    config_path_ = std::filesystem::absolute(options_.config_path, ec);
    return *config_;
  }
  if (const char* env = std::getenv("SLUICE_CONFIG"); env && *env) {
    config_ = load_config(env);
    config_path_ = std::filesystem::absolute(env, ec);
    return *config_;
  }
  if (use("sluice.yaml") || use("etc/sluice.yaml") || use(paths_.config_dir / "config.yaml")) return *config_;
  std::string detail = "looked for:";
  for (const auto& p : tried) detail += "\n  " + p.string();
  throw usage_error("no config file found", detail,
                    "Pass --config FILE, set SLUICE_CONFIG, or write one with `sluice config init`.");
}

void ApplicationContext::set_config(Config config) { config_ = std::move(config); }

EmbeddedPostgres& ApplicationContext::embedded_postgres() {
  if (!embedded_) embedded_ = std::make_unique<EmbeddedPostgres>(EmbeddedPostgres::default_cluster_dir());
  return *embedded_;
}

std::string ApplicationContext::postgres_conninfo(const ConnectionSpec& connection) {
  if (!connection.postgres.embedded) return connection.postgres.dsn;
  auto& server = embedded_postgres();
  if (!server.status().running) {
    progress().note(fmt::format("starting the embedded PostgreSQL in {}", server.cluster_dir().string()));
    server.start();
  }
  return server.conninfo();
}

std::unique_ptr<Warehouse> ApplicationContext::open_warehouse(const ConnectionSpec& connection) {
  if (connection.type == ConnectionType::snowflake) return SnowflakeWarehouse::open(connection.snowflake, &cancellation_);
  return PostgresWarehouse::open(postgres_conninfo(connection), connection.postgres.schema);
}

WarehouseOpener ApplicationContext::warehouse_opener() {
  return [this](const ConnectionSpec& c) { return open_warehouse(c); };
}

bool ApplicationContext::interactive() const {
  return !options_.batch && ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO);
}

}  // namespace sluice
