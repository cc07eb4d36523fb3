// Where sluice keeps things, following the XDG base directory spec:
//   config  $XDG_CONFIG_HOME/sluice   (default ~/.config/sluice)
//   data    $XDG_DATA_HOME/sluice     (default ~/.local/share/sluice): demo files
//   state   $XDG_STATE_HOME/sluice    (default ~/.local/state/sluice): job store, logs
// The embedded PostgreSQL cluster has its own rule (see embedded_postgres.h).
#pragma once

#include <filesystem>

namespace sluice {

struct Paths {
  std::filesystem::path config_dir;
  std::filesystem::path data_dir;
  std::filesystem::path state_dir;

  static Paths from_environment();
  // Creates the directory (and parents) with mode 0700 if missing; returns it.
  static const std::filesystem::path& ensure(const std::filesystem::path& dir);
};

}  // namespace sluice
