// Drives a program on a real terminal: a private tmux server (its own socket file) running one window
// of a given size, keys sent with send-keys, the screen read with capture-pane. The server is
// killed when the object goes away, also when a test fails.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sluice::test {

class TmuxSession {
 public:
  // Runs `command` (words, quoted for the shell here) with `env` added, in a width x height window.
  TmuxSession(const std::vector<std::string>& command, const std::map<std::string, std::string>& env, int width,
              int height);
  ~TmuxSession();
  TmuxSession(const TmuxSession&) = delete;
  TmuxSession& operator=(const TmuxSession&) = delete;

  // Keys by tmux name: "Enter", "Escape", "Down", "BSpace", "C-c", or plain characters.
  void keys(const std::vector<std::string>& keys);
  // Text typed literally.
  void type(const std::string& text);
  // The screen as text, one line per row (trailing spaces cut).
  std::string screen();
  // Waits until the screen contains `text`; returns false (and the last screen in `last`) on timeout.
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(30),
                std::string* last = nullptr);
  bool wait_gone(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void resize(int width, int height);
  // Whether the program in the window is still running.
  bool alive();

 private:
  std::string tmux(const std::vector<std::string>& args);
  std::string socket_;
};

}  // namespace sluice::test
