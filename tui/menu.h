// The menu: `sluice` on a terminal. Runs until the user quits; background jobs started from it go
// on after it closes.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "jobs/job_store.h"

namespace sluice::tui {

// Reads and checks a config file; throws sluice::Error saying what is wrong. The menu reads configs
// only to list their tables and match files to them: its jobs read the config themselves.
using ConfigReader = std::function<Config(const std::filesystem::path&)>;
using SyncMarksReader = std::function<std::vector<std::string>(const std::filesystem::path& config, const std::string& job)>;

// What the program that opens the menu hands it. The entry point (app/main.cpp) builds it from the
// command line's context, so the menu depends on neither the command line nor its options.
struct MenuContext {
  JobStore& jobs;
  const Cancellation& cancellation;  // Ctrl-C or SIGTERM: the menu quits, the terminal restored
  std::filesystem::path state_dir;   // the menu keeps its session logs and its jobs' files here
  ConfigReader read_config;
  // This run's config (--config, $SLUICE_CONFIG, else the first of the usual places), read; throws
  // sluice::Error when there is none or it is wrong.
  std::function<Config()> run_config;
  // --config or $SLUICE_CONFIG named the config: then it wins over the one chosen in Settings.
  bool config_named = false;
  // A migration's incremental tables and the mark each one's last sync left, a line each, read from
  // its target (the Migrate screen shows them; called on the backend thread). May be empty.
  SyncMarksReader sync_marks;
};

// Returns the process exit code.
int run_menu(const MenuContext& context);

}  // namespace sluice::tui
