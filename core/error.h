// Errors a person can act on, shaped like PostgreSQL's reports: a primary message (what went wrong),
// a detail (where and the facts), and a hint (what to do). Thrown at boundaries; hot loops return
// results instead.
#pragma once

#include <stdexcept>
#include <string>

namespace sluice {

// Process exit codes, documented in the README and --help.
enum class ExitCode : int {
  ok = 0,
  runtime = 1,   // the environment failed: I/O, server, network
  usage = 2,     // the command line or the config file is wrong
  qc_failed = 3, // file QC found problems; nothing was loaded
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string primary, std::string detail = {}, std::string hint = {})
      : std::runtime_error(primary), code_(code), primary_(std::move(primary)),
        detail_(std::move(detail)), hint_(std::move(hint)) {}

  ExitCode code() const { return code_; }
  const std::string& primary() const { return primary_; }
  const std::string& detail() const { return detail_; }
  const std::string& hint() const { return hint_; }

  // "error: primary\nDETAIL: detail\nHINT: hint" (lines omitted when empty).
  std::string report() const;

 private:
  ExitCode code_;
  std::string primary_;
  std::string detail_;
  std::string hint_;
};

// Shorthands for the three kinds of failure.
inline Error usage_error(std::string primary, std::string detail = {}, std::string hint = {}) {
  return Error(ExitCode::usage, std::move(primary), std::move(detail), std::move(hint));
}
inline Error runtime_error(std::string primary, std::string detail = {}, std::string hint = {}) {
  return Error(ExitCode::runtime, std::move(primary), std::move(detail), std::move(hint));
}

// strerror(errno) without the thread-safety trap.
std::string errno_text(int err);

}  // namespace sluice
