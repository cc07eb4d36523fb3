// Runs the real sluice binary as a child process, as a user would, and captures what it prints
// and its exit code. Tests assert on exit codes and output, never on internals.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sluice::test {

struct RunResult {
  int exit_code = -1;   // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

struct RunOptions {
  std::map<std::string, std::string> env;   // added to (or overriding) the test's environment
  std::filesystem::path cwd;
  // Run on a pseudo-terminal (stdin, stdout and stderr are the terminal; everything printed lands
  // in `out`, with the terminal's \r\n), typing `terminal_input` into it. For prompts.
  bool terminal = false;
  std::string terminal_input;
  std::string type_after;   // type terminal_input only once the output holds this text

};

RunResult run_sluice(const std::vector<std::string>& args, const RunOptions& options = {});

// Starts sluice in the background (output to files in `log_dir`); returns its pid.
pid_t spawn_sluice(const std::vector<std::string>& args, const RunOptions& options,
                   const std::filesystem::path& log_dir);

}  // namespace sluice::test
