// The job history in a SQLite file under the state directory: what ran, how it ended, and which
// chunks of which files reached their destination (for resume and the Jobs screen). Several
// sluice processes may share one file: WAL mode, a 5 s busy timeout, and every write is a single
// statement or an IMMEDIATE transaction. One object may be used from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job_log.h"

namespace sluice {

// The launch this process runs in: $SLUICE_LAUNCH_ID, set by the menu for its background jobs; 0
// when not launched by the menu.
std::int64_t current_launch_id();

struct JobRecord {
  std::int64_t id = 0;
  std::string kind;
  std::string description;
  std::string args_json;
  JobStatus status = JobStatus::running;
  int pid = 0;
  std::string started_at,
      finished_at;  // ISO-8601 UTC ("2024-05-01T12:34:56Z"); finished_at "" while running
  std::string error;
  std::string summary_json;
  std::int64_t launch_id = 0;  // the menu's launch this job ran in (0: started elsewhere)
  // How the job's process exited (nullopt while it runs, or when it died without saying), and the
  // start and end in Unix seconds with their fractions (0 in rows older than schema v4).
  std::optional<int> exit_code;
  double started_unix = 0, finished_unix = 0;
};

// One phase of a job ("scan+copy" of a file, "commit", ...) with its counters.
struct PhaseRecord {
  std::int64_t job_id = 0;
  std::int64_t seq = 0;  // 1, 2, ... in the order the phases began
  std::string phase, subject;
  std::uint64_t done_bytes = 0, total_bytes = 0, rows = 0;
  std::string state;     // "running", "ok", "failed"
  std::string summary;
  double started_at = 0, updated_at = 0;  // Unix seconds
};

// A background process the menu started: `command` is the equivalent `sluice --batch ...` line.
struct LaunchRecord {
  std::int64_t id = 0;
  std::string title, command, log_path, result_path;
  std::string kind;              // the command: "load", "analyze", ... ("" in rows older than v4)
  int pid = 0;
  std::string started_at, finished_at;
  std::optional<int> exit_code;  // nullopt while running, or when the process died without saying
  double started_unix = 0, finished_unix = 0;  // as JobRecord's
};

class JobStore {
 public:
  // Opens or creates the file (its directory must exist) and brings the schema to the current
  // version. Throws a runtime error naming the path when the file is unusable or from a newer
  // sluice.
  explicit JobStore(const std::filesystem::path& db_path);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  const std::filesystem::path& path() const;

  // A new job with status running and this process's pid; returns its id.
  std::int64_t begin_job(const std::string& kind, const std::string& description,
                         const std::string& args_json);
  void finish_job(std::int64_t id, JobStatus status, const std::string& summary_json,
                  const std::string& error);
  // The exit code of the process that ran job `id`, written by that process as it ends.
  void set_exit_code(std::int64_t id, int exit_code);
  // Insert or replace by (job_id, file, chunk_index). The job must exist.
  void record_chunk(const ChunkProgress& c);

  std::optional<JobRecord> job(std::int64_t id) const;
  std::vector<JobRecord> recent_jobs(int limit) const;         // newest first
  std::vector<ChunkProgress> chunks(std::int64_t job_id) const;  // by file, then chunk_index

  // Jobs marked running whose pid is gone are marked failed with error "process ended
  // unexpectedly"; returns how many. Only pids on this machine can be checked, and a pid the
  // system has since reused for another process still counts as alive.
  int reap_dead_jobs();

  // The phases of the job this process began and has not finished (the menu reads them from other
  // processes). Without such a job these do nothing.
  void begin_phase(const std::string& phase, const std::string& subject, std::uint64_t total_bytes);
  void update_phase(std::uint64_t done_bytes, std::uint64_t total_bytes, std::uint64_t rows);
  void end_phase(bool ok, const std::string& summary);
  std::vector<PhaseRecord> phases(std::int64_t job_id) const;  // in seq order

  // Launches: recorded by the menu before it starts the process, finished by the process itself.
  std::int64_t add_launch(const std::string& title, const std::string& command, const std::string& log_path,
                          const std::string& result_path, const std::string& kind = "");
  void set_launch_pid(std::int64_t id, int pid);
  void set_launch_files(std::int64_t id, const std::string& log_path, const std::string& result_path);
  void finish_launch(std::int64_t id, int exit_code);
  std::optional<LaunchRecord> launch(std::int64_t id) const;
  std::vector<LaunchRecord> recent_launches(int limit) const;  // newest first
  std::vector<JobRecord> jobs_of_launch(std::int64_t launch_id) const;

  std::optional<std::string> preference(const std::string& name) const;
  void set_preference(const std::string& name, const std::string& value);

  // The newest job of `kind` whose args_json holds "resume_key":"<resume_key>", if its process
  // died (reap_dead_jobs marked it); else 0. A later job with the same key (finished or failed
  // cleanly) means there is nothing to resume.
  std::int64_t find_interrupted(const std::string& kind, const std::string& resume_key) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
