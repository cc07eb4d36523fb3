// Starts menu actions as background jobs: each is the `sluice --batch ...` command a script would
// run, started as its own process in its own session, so it survives the menu closing and a key
// press in the menu never waits for it. Its stderr goes to a log file, its stdout (the JSON result
// the menu shows) to a result file; the process records its exit code in the job store itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class JobStore;
class SessionLog;

struct BatchCommand {
  std::string title;               // what the Jobs screen calls it: "Load 2024-01, all tables"
  std::vector<std::string> args;   // after `sluice --batch [--config FILE]`: {"load", "--month", "2024-01"}
  // Added only to the menu's own run, not to the session log: e.g. {"--format", "json"} so the
  // result can be shown. The equivalent script line leaves them out.
  std::vector<std::string> result_args;
};

// `word` quoted for a POSIX shell when it needs it: 'it'\''s'.
std::string shell_quote(std::string_view word);
std::string shell_line(const std::vector<std::string>& words);

class Launcher {
 public:
  // `sluice` is this program's path; `global_args` go between `--batch` and the command (e.g.
  // {"--config", "/abs/sluice.yaml"}); logs and results are written under `work_dir`.
  Launcher(JobStore& store, std::filesystem::path sluice, std::vector<std::string> global_args,
           std::filesystem::path work_dir, SessionLog* session);

  // Records the launch, starts the process and returns the launch id. Throws a runtime error when
  // the process cannot be started.
  std::int64_t launch(const BatchCommand& command);
  // The line a script would run for `command`.
  std::string script_line(const BatchCommand& command) const;
  // Asks a running launch to stop (SIGTERM to its process group: the job rolls back and cleans up).
  static bool cancel(int pid);

  void set_global_args(std::vector<std::string> args) { global_args_ = std::move(args); }

 private:
  JobStore& store_;
  std::filesystem::path sluice_;
  std::vector<std::string> global_args_;
  std::filesystem::path work_dir_;
  SessionLog* session_;
};

// Whether the process of a launch is still there.
bool launch_process_alive(int pid);

}  // namespace sluice
