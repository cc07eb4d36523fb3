// The composition root: main() builds one ApplicationContext from the command line and the config;
// it owns the long-lived services and hands references to operations. No singletons, no globals.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/paths.h"
#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/progress.h"
#include "warehouse/warehouse.h"

namespace spdlog { class logger; }

namespace sluice {

class JobStore;
class EmbeddedPostgres;

enum class ProgressMode { auto_detect, bar, json, none };

struct GlobalOptions {
  bool batch = false;
  std::string config_path;            // --config; empty = search (see resolve_config_path)
  ProgressMode progress = ProgressMode::auto_detect;
  std::string log_level = "warn";     // for stderr; the log file always gets debug
  bool quiet = false;
};

class ApplicationContext {
 public:
  explicit ApplicationContext(GlobalOptions options);
  ~ApplicationContext();

  const GlobalOptions& options() const { return options_; }
  const Paths& paths() const { return paths_; }
  spdlog::logger& log() { return *logger_; }
  ProgressSink& progress() { return *progress_; }
  Cancellation& cancellation() { return cancellation_; }
  JobStore& jobs();                 // opened on first use (state dir)

  // The config: --config, else $SLUICE_CONFIG, else ./sluice.yaml, else <config dir>/config.yaml.
  // Throws a usage error naming every place looked at when none exists.
  const Config& config();
  // The same, or nullptr when no config file is given or found (commands that work without one).
  // A config file that exists but is wrong still throws.
  const Config* config_if_any();
  void set_config(Config config);   // for commands that build their own (demo)
  // The file config() read, absolute ("" before config() or for a config set by set_config).
  const std::filesystem::path& config_path() const { return config_path_; }

  // libpq connection string for a postgres connection; for an embedded one this starts the
  // private server when it is not running.
  std::string postgres_conninfo(const ConnectionSpec& connection);
  EmbeddedPostgres& embedded_postgres();

  // A Warehouse for a configured connection (PostgreSQL or Snowflake), and the same as a function
  // operations take.
  std::unique_ptr<Warehouse> open_warehouse(const ConnectionSpec& connection);
  WarehouseOpener warehouse_opener();
  // Whether a person is at the keyboard: not --batch, stdin and stderr are terminals.
  bool interactive() const;

 private:
  GlobalOptions options_;
  Paths paths_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<ProgressSink> progress_;
  Cancellation cancellation_;
  std::unique_ptr<JobStore> jobs_;
  std::optional<Config> config_;
  std::filesystem::path config_path_;
  std::filesystem::path find_config(std::vector<std::filesystem::path>& tried) const;
  std::unique_ptr<EmbeddedPostgres> embedded_;
};

}  // namespace sluice
