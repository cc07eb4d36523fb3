// Everything the menu does besides drawing and reading keys runs here, on one background thread:
// reading the job store a few times a second into a snapshot the screens draw from, and the tasks
// the screens submit (start a job, read a result file, save a preference). The UI thread only
// copies the snapshot and checks futures, so a key press is answered while any of that waits.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "jobs/job_store.h"
#include "jobs/launcher.h"
#include "jobs/session_log.h"
#include "tui/menu.h"

namespace sluice::tui {

// One row of the Jobs screen: a job the menu started (a launch), or a job started elsewhere.
struct JobEntry {
  std::int64_t launch_id = 0;   // 0: started outside the menu
  std::int64_t job_id = 0;      // sluice's job id (0 while the process has not begun one)
  std::string kind;             // "load", "validate", ... ("" until known)
  std::string title, command;
  std::string status;           // starting, running, succeeded, failed, cancelled, crashed
  std::string started_at, finished_at, error;
  double started_unix = 0, finished_unix = 0;  // 0 in job store rows older than schema v4
  int pid = 0;
  std::optional<int> exit_code;
  std::vector<PhaseRecord> phases;
  // Its stderr and stdout: the launch's files, or for a job started elsewhere the copies it kept
  // (jobs/job_output.h).
  std::string log_path, result_path;

  bool finished() const { return status != "starting" && status != "running"; }
};

struct Snapshot {
  std::vector<JobEntry> jobs;   // newest first
  std::uint64_t generation = 0; // bumps on every refresh
  std::string error;            // the job store could not be read
};

// What tasks get to work with (on the backend thread only).
struct Services {
  JobStore& store;
  Launcher& launcher;
  SessionLog& session;
  const ConfigReader& read_config;
  SyncMarksReader sync_marks;  // may be empty
};

class Backend {
 public:
  Backend(JobStore& store, Launcher& launcher, SessionLog& session, const ConfigReader& read_config,
          SyncMarksReader sync_marks = {});
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  Snapshot snapshot() const;

  // Runs `task` on the backend thread; the future holds its result or its exception.
  template <class F>
  auto submit(F task) -> std::future<decltype(task(std::declval<Services&>()))> {
    using R = decltype(task(std::declval<Services&>()));
    auto packaged = std::make_shared<std::packaged_task<R(Services&)>>(std::move(task));
    auto future = packaged->get_future();
    {
      std::lock_guard lock(mutex_);
      queue_.emplace_back([packaged](Services& s) { (*packaged)(s); });
    }
    wake_.notify_one();
    return future;
  }

  // Re-reads the job store now (after the UI started or cancelled something).
  void refresh_soon();

 private:
  void run();
  void refresh();

  Services services_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void(Services&)>> queue_;
  Snapshot snapshot_;
  bool stop_ = false;
  bool refresh_now_ = false;
  std::thread thread_;
};

// The status a job's row shows, from its launch and job records: succeeded only when the process
// exited 0 and its job did not record a failure.
std::string entry_status(const std::optional<LaunchRecord>& launch, const std::vector<JobRecord>& jobs,
                         bool process_alive);

// Reads up to the last `max_bytes` of a file ("" when it cannot be read).
std::string read_tail(const std::string& path, std::size_t max_bytes);

// true when `f` is ready (never blocks).
template <class T>
bool ready(const std::future<T>& f) {
  return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

}  // namespace sluice::tui
