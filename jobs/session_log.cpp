#include "jobs/session_log.h"

#include <sys/stat.h>

#include <fstream>

#include <fmt/format.h>

#include "core/dates.h"
#include "core/error.h"

namespace sluice {
namespace {

std::string local_time_now() { return format_time("%Y-%m-%d %H:%M:%S", TimeZone::local); }

}  // namespace

SessionLog::SessionLog(std::filesystem::path path) : path_(std::move(path)) {
  std::error_code ec;
  if (std::filesystem::exists(path_, ec)) {
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') commands_.push_back(line);
    return;
  }
  std::filesystem::create_directories(path_.parent_path(), ec);
  std::ofstream out(path_);
  out << "#!/bin/sh\n"
      << "# sluice menu session, " << local_time_now() << ": each action taken in the menu as the command\n"
      << "# that does the same. Run it with sh to repeat the session.\n";
  if (!out)
    throw runtime_error("cannot write the session log", path_.string(), "Check free space and permissions of the state directory.");
}

void SessionLog::append(const std::string& command_line) {
  std::lock_guard lock(mutex_);
  commands_.push_back(command_line);
  std::ofstream out(path_, std::ios::app);
  out << command_line << '\n';
}

std::vector<std::string> SessionLog::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

void SessionLog::save_as(const std::filesystem::path& to) const {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  std::filesystem::copy_file(path_, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec)
    throw runtime_error(fmt::format("cannot save the session log to {}", to.string()), ec.message(),
                        "Choose a directory you can write to.");
  ::chmod(to.c_str(), 0755);
}

}  // namespace sluice
