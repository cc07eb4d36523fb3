#include "app/paths.h"

#include <sys/stat.h>

#include <cstdlib>

#include <fmt/format.h>

#include "core/error.h"

namespace sluice {
namespace {

std::filesystem::path xdg(const char* var, const char* fallback_under_home) {
  if (const char* v = std::getenv(var); v && *v == '/') return std::filesystem::path(v) / "sluice";
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    throw runtime_error("cannot find a home directory", fmt::format("${} and $HOME are unset", var),
                        fmt::format("Set {} or HOME.", var));
  return std::filesystem::path(home) / fallback_under_home / "sluice";
}

}  // namespace

Paths Paths::from_environment() {
  return Paths{xdg("XDG_CONFIG_HOME", ".config"), xdg("XDG_DATA_HOME", ".local/share"),
               xdg("XDG_STATE_HOME", ".local/state")};
}

const std::filesystem::path& Paths::ensure(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw runtime_error(fmt::format("cannot create directory {}", dir.string()), ec.message(),
                        "Check the permissions of its parent, or point the XDG_* variable elsewhere.");
  return dir;
}

}  // namespace sluice
