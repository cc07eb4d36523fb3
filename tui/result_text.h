// How a job ended, as its screen tells it: a verdict line (green only for a job that verifiably
// succeeded), then what it is based on: the QC findings with file:line:column, per-table lines,
// and the result itself. A job that failed, crashed, printed a result that cannot be read or none
// at all is never a success; when its result cannot be read, the verdict gives the exit code and
// the end of its log stands in for the result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "output/json_text.h"  // member_text, json_count: how the menu reads results

namespace sluice::tui {

struct JobFacts {
  std::string kind;              // "load", "analyze", ... ("" when unknown)
  std::string status;            // the Jobs status: succeeded, failed, cancelled, crashed, ...
  std::optional<int> exit_code;  // of the job's process, when known
  std::string result;            // what it printed on stdout (JSON for the menu's own jobs)
  std::string log;               // the end of what it printed on stderr
};

struct JobOutcome {
  bool success = false;
  std::string verdict;              // one line
  std::vector<std::string> lines;   // findings, details, the result (or the end of the log)
};

JobOutcome describe_outcome(const JobFacts& facts);

// A job's time: tenths of a second under a minute ("4.2s", "59.9s"), then m:ss and h:mm:ss.
std::string job_time(double seconds);

}  // namespace sluice::tui
