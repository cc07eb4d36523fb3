// The menu's session log: every action taken in the menu, written as the `sluice --batch ...`
// command that does the same, one per line, in a shell script the user can view, save and run
// again (so a menu session becomes a script).
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace sluice {

class SessionLog {
 public:
  // Creates `path` with a header naming the session; appends when it exists.
  explicit SessionLog(std::filesystem::path path);

  const std::filesystem::path& path() const { return path_; }
  void append(const std::string& command_line);
  // The commands so far, oldest first.
  std::vector<std::string> commands() const;
  // Copies the script to `to` (made executable). Throws a runtime error naming the path.
  void save_as(const std::filesystem::path& to) const;

 private:
  std::filesystem::path path_;
  mutable std::mutex mutex_;
  std::vector<std::string> commands_;
};

}  // namespace sluice
