// The setting of the menu tests: LoadFixture's temp dir, schema and config, plus the menu running
// in a tmux window with that config and state dir. Background jobs the menu started are killed at
// the end if still running.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "tests/support/load_fixture.h"
#include "tests/support/tmux_session.h"

namespace sluice::test {

class MenuFixture : public LoadFixture {
 protected:
  void TearDown() override;

  // Starts `sluice` (the menu) with the config. UTF-8 and colour unless `env` says otherwise.
  TmuxSession& start_menu(int width = 100, int height = 30, std::map<std::string, std::string> env = {});
  std::map<std::string, std::string> menu_env() const;

  // Waits for `text` or fails the test with the screen.
  void expect_screen(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(60));

  std::unique_ptr<TmuxSession> menu_;
};

}  // namespace sluice::test
