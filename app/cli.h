// The command line: parses arguments (CLI11), builds the ApplicationContext, runs the command and
// turns errors into the documented exit codes.
#pragma once

namespace sluice {

int run_cli(int argc, char** argv);

}  // namespace sluice
