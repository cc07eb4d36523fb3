// Key sequences the menu tests share: opening a screen by name, filling the Load form.
#pragma once

#include <string>

#include "tests/support/tmux_session.h"

namespace sluice::test {

// From the main menu: filter by `name` and open it (the filter selects the row starting with it).
inline void open_screen(TmuxSession& m, const std::string& name) {
  m.keys({"/"});
  m.type(name);
  m.keys({"Enter", "Enter"});
}

// On a fresh Load screen: month mode, `month`, create the table, start.
inline void load_month(TmuxSession& m, const std::string& month, bool create) {
  m.keys({"Down"});  // Month
  for (int i = 0; i < 10; ++i) m.keys({"BSpace"});
  m.type(month);
  m.keys({"Down", "Down", "Down", "Down", "Down"});  // Table, Base path, QC, Replace, Create table
  if (create) m.keys({"Right"});
  m.keys({"Down", "Enter"});  // Start the load
}

}  // namespace sluice::test
