// The command line: parses arguments (CLI11), builds the ApplicationContext, runs the command and
// turns errors into the documented exit codes.
#pragma once

#include <functional>

namespace sluice {

class ApplicationContext;

// Opens the menu (`sluice` alone on a terminal, `sluice menu`) and returns the exit code. The
// entry point passes it in: the menu is the program's other face, and the command line does not
// depend on it.
using MenuRunner = std::function<int(ApplicationContext&)>;

int run_cli(int argc, char** argv, const MenuRunner& run_menu);

}  // namespace sluice
