#include "tests/tui/menu_fixture.h"

#include <signal.h>

#include "jobs/job_store.h"

namespace sluice::test {

std::map<std::string, std::string> MenuFixture::menu_env() const {
  return {{"XDG_STATE_HOME", (dir_ / "state").string()},
          {"XDG_DATA_HOME", (dir_ / "data").string()},
          {"XDG_CONFIG_HOME", (dir_ / "config").string()},
          {"LANG", "C.UTF-8"},
          {"LC_ALL", "C.UTF-8"},
          {"TERM", "tmux-256color"}};
}

TmuxSession& MenuFixture::start_menu(int width, int height, std::map<std::string, std::string> env) {
  auto all = menu_env();
  for (auto& [k, v] : env) all[k] = v;
  std::vector<std::string> command{SLUICE_BINARY};
  if (!config_.empty()) command.insert(command.end(), {"--config", config_.string()});
  menu_ = std::make_unique<TmuxSession>(command, all, width, height);
  return *menu_;
}

void MenuFixture::expect_screen(const std::string& text, std::chrono::milliseconds timeout) {
  std::string last;
  if (!menu_->wait_for(text, timeout, &last)) ADD_FAILURE() << "the screen never showed \"" << text << "\"; it shows:\n" << last;
}

void MenuFixture::TearDown() {
  menu_.reset();
  const auto store_path = dir_ / "state" / "sluice" / "jobs.sqlite";
  std::error_code ec;
  if (std::filesystem::exists(store_path, ec)) {
    try {
      JobStore store(store_path);
      for (const auto& l : store.recent_launches(1000))
        if (!l.exit_code && l.pid > 0) ::kill(-l.pid, SIGKILL);
    } catch (...) {
    }
  }
  LoadFixture::TearDown();
}

}  // namespace sluice::test
