// A ProgressSink that also writes the phases and counters of this process's job into the job
// store, a few times a second, so the menu (another process) can draw the job's progress bars, and
// its notes and phase ends into the job's log (jobs/job_output.h).
// Everything is passed on to the sink the command line uses (bars, JSON lines or nothing).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/progress.h"

namespace sluice {

class JobStore;

class JobProgressRecorder final : public ProgressSink {
 public:
  // `store` returns the job store when this process has opened it (nullptr otherwise: no job, so
  // nothing to record).
  JobProgressRecorder(std::unique_ptr<ProgressSink> inner, std::function<JobStore*()> store,
                      std::chrono::milliseconds interval = std::chrono::milliseconds(250));

  void begin(std::string_view phase, std::string_view subject, std::uint64_t total_bytes) override;
  void update(const ProgressUpdate& u) override;
  void end(bool ok, std::string_view summary) override;
  void note(std::string_view message) override;

 private:
  // Runs `write` against the store; a busy or failing job store never fails the operation.
  template <class F>
  void record(F&& write);

  std::unique_ptr<ProgressSink> inner_;
  std::function<JobStore*()> store_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_write_{};
  std::uint64_t done_ = 0, total_ = 0, rows_ = 0;  // the newest counters of the current phase
  bool pending_ = false;                           // newer than what the store holds
  std::string phase_, subject_;                    // the current phase, for its line in the job's log
  std::chrono::steady_clock::time_point phase_started_{};
};

}  // namespace sluice
