#include "tests/support/tmux_session.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "jobs/launcher.h"
#include "tests/support/run_sluice.h"

namespace sluice::test {
namespace {

std::string run_capture(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

}  // namespace

TmuxSession::TmuxSession(const std::vector<std::string>& command, const std::map<std::string, std::string>& env,
                         int width, int height) {
  static std::atomic<int> counter{0};
  // A socket path of our own (-S), removed at the end: tmux leaves its socket file behind.
  socket_ = fmt::format("/tmp/sluice-tmux-{}-{}", ::getpid(), counter++);
  std::vector<std::string> words{"env"};
  for (const auto& [k, v] : env) words.push_back(k + "=" + v);
  words.insert(words.end(), command.begin(), command.end());
  // The window stays after the program ends, so a test can still read its last screen.
  tmux({"new-session", "-d", "-s", "t", "-x", std::to_string(width), "-y", std::to_string(height), shell_line(words)});
  tmux({"set-option", "-t", "t", "remain-on-exit", "on"});
}

TmuxSession::~TmuxSession() {
  tmux({"kill-server"});
  std::error_code ec;
  std::filesystem::remove(socket_, ec);
}

std::string TmuxSession::tmux(const std::vector<std::string>& args) {
  std::vector<std::string> words{"tmux", "-S", socket_, "-f", "/dev/null"};
  words.insert(words.end(), args.begin(), args.end());
  return run_capture(shell_line(words) + " 2>&1");
}

void TmuxSession::keys(const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    tmux({"send-keys", "-t", "t", k});
    // One key at a time, as a person types: the menu reads each before the next arrives.
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
  }
}

void TmuxSession::type(const std::string& text) {
  tmux({"send-keys", "-t", "t", "-l", text});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

std::string TmuxSession::screen() { return tmux({"capture-pane", "-p", "-t", "t"}); }

bool TmuxSession::wait_for(const std::string& text, std::chrono::milliseconds timeout, std::string* last) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::string s;
  for (;;) {
    s = screen();
    if (s.find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (last) *last = s;
  return false;
}

bool TmuxSession::wait_gone(const std::string& text, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (screen().find(text) == std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void TmuxSession::resize(int width, int height) {
  tmux({"resize-window", "-t", "t", "-x", std::to_string(width), "-y", std::to_string(height)});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

bool TmuxSession::alive() { return tmux({"list-panes", "-t", "t", "-F", "#{pane_dead}"}).find('0') != std::string::npos; }

}  // namespace sluice::test
