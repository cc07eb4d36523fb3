#include "app/application_context.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/config.h"
#include "app/embedded_postgres.h"
#include "app/logging.h"
#include "app/progress_renderers.h"
#include "core/error.h"
#include "jobs/job_progress_recorder.h"
#include "jobs/job_store.h"
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
    default:
      if (options_.quiet) shown = std::make_unique<NullProgress>();
      else shown = std::make_unique<NotesOnlyProgress>(stderr);
      break;
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

// The config file to read: --config, $SLUICE_CONFIG, else the first of the usual places that
// exists; empty when none does (`tried` then lists where it looked).
std::filesystem::path ApplicationContext::find_config(std::vector<std::filesystem::path>& tried) const {
  if (!options_.config_path.empty()) return options_.config_path;
  if (const char* env = std::getenv("SLUICE_CONFIG"); env && *env) return env;
  for (const auto& p : {std::filesystem::path("sluice.yaml"), std::filesystem::path("etc/sluice.yaml"),
                        paths_.config_dir / "config.yaml"}) {
    tried.push_back(p);
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) return p;
  }
  return {};
}

const Config& ApplicationContext::config() {
  if (config_) return *config_;
  std::vector<std::filesystem::path> tried;
  const std::filesystem::path p = find_config(tried);
  if (p.empty()) {
    std::string detail = "looked for:";
    for (const auto& t : tried) detail += "\n  " + t.string();
    throw usage_error("no config file found", detail,
                      "Pass --config FILE, set SLUICE_CONFIG, or write one with `sluice config init`.");
  }
  config_ = load_config(p);
  std::error_code ec;
  config_path_ = std::filesystem::absolute(p, ec);
  log().debug("config {}", p.string());
  return *config_;
}

const Config* ApplicationContext::config_if_any() {
  if (config_) return &*config_;
  std::vector<std::filesystem::path> tried;
  if (find_config(tried).empty()) return nullptr;
  return &config();
}

void ApplicationContext::set_config(Config config) { config_ = std::move(config); }

EmbeddedPostgres& ApplicationContext::embedded_postgres() {
  if (!embedded_) embedded_ = std::make_unique<EmbeddedPostgres>(EmbeddedPostgres::default_cluster_dir());
  return *embedded_;
}

std::string ApplicationContext::postgres_conninfo(const ConnectionSpec& connection) {
  const PostgresConnection* postgres = connection.postgres();
  if (!postgres)
    throw usage_error(fmt::format("connection \"{}\" is not a PostgreSQL connection", connection.name), "",
                      "Name a connection of type: postgres.");
  if (!postgres->embedded) return postgres->dsn;
  auto& server = embedded_postgres();
  if (!server.status().running) {
    // Said on stderr whatever the progress mode: a server the user stopped (`sluice db stop`)
    // is running again after this command, and that must not go unnoticed.
    const auto before = server.status();
    if (!options_.quiet)
      std::fprintf(stderr, "sluice: the embedded PostgreSQL was not running; starting it (%s); `sluice db stop` stops it\n",
                   server.cluster_dir().c_str());
    server.start();
    log().info("started the embedded PostgreSQL in {} (it was {})", server.cluster_dir().string(),
               before.initialized ? "stopped" : "not created yet");
  }
  return server.conninfo();
}

std::unique_ptr<Warehouse> ApplicationContext::open_warehouse(const ConnectionSpec& connection) {
  if (const SnowflakeConnection* snowflake = connection.snowflake())
    return SnowflakeWarehouse::open(*snowflake, &cancellation_);
  std::string conninfo = postgres_conninfo(connection);  // refuses any other backend
  return PostgresWarehouse::open(conninfo, connection.postgres()->schema);
}

WarehouseOpener ApplicationContext::warehouse_opener() {
  return [this](const ConnectionSpec& c) { return open_warehouse(c); };
}

bool ApplicationContext::interactive() const {
  return !options_.batch && ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO);
}

}  // namespace sluice
