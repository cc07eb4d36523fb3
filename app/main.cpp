// The entry point, the one place that knows both faces of the program: the command line (app/)
// and the menu (tui/). Neither includes the other; the command line hands a request for the menu
// back here, and this builds what the menu needs from the command line's context.
#include <cstdlib>

#include "app/application_context.h"
#include "app/cli.h"
#include "app/commands/commands.h"
#include "app/config.h"
#include "tui/menu.h"

namespace {

int open_menu(sluice::ApplicationContext& ctx) {
  const char* env = std::getenv("SLUICE_CONFIG");
  return sluice::tui::run_menu({
      .jobs = ctx.jobs(),
      .cancellation = ctx.cancellation(),
      .state_dir = ctx.paths().state_dir,
      .read_config = [](const std::filesystem::path& path) { return sluice::load_config(path); },
      .run_config = [&ctx] { return ctx.config(); },
      .config_named = !ctx.options().config_path.empty() || (env && *env),
      .sync_marks = [&ctx](const std::filesystem::path& config, const std::string& job) {
        return sluice::migration_sync_marks(ctx, config, job);
      },
  });
}

}  // namespace

int main(int argc, char** argv) { return sluice::run_cli(argc, argv, open_menu); }
