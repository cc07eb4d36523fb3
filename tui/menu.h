// The menu: `sluice` on a terminal. Runs until the user quits; background jobs started from it go
// on after it closes.
#pragma once

namespace sluice {
class ApplicationContext;
}

namespace sluice::tui {

// Returns the process exit code.
int run_menu(ApplicationContext& ctx);

}  // namespace sluice::tui
