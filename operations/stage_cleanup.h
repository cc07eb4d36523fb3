// The job directories on a Snowflake connection's S3 stage, and their removal. A load stages its
// parts under <stage prefix><job id>/ and removes them itself when it ends (COPY's PURGE, or the
// clean-up after a failure); a load killed outright (kill -9, a lost machine) and never resumed
// leaves them, with any unfinished multipart upload, forever. `stage list` shows each directory
// with what the job store knows of its job; `stage clean` removes those of jobs that are not
// running.
//
// Never touched: the directory of a running job (its process is alive on this machine, or a
// running load is resuming it), keys under the prefix that are not in a job directory (a name
// that is not a job id), and directories whose job this machine's job store does not know (they
// may belong to a load running elsewhere) unless --older-than says they are old enough.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "core/job_log.h"

namespace sluice {

// What the job store knows of one job id, at the moment of asking (the app answers from the
// SQLite JobStore after marking jobs whose process died).
struct JobFacts {
  bool known = false;
  std::string kind;             // "load", ...
  JobStatus status = JobStatus::running;
  std::string error;
  int pid = 0;
  std::int64_t resumed_by = 0;  // a running load resuming this job's directory (0: none)
};
using JobLookup = std::function<JobFacts(std::int64_t job_id)>;

enum class StagedJobState {
  running,    // its process is alive (or a running load resumes it): never cleaned
  resumable,  // its process died; the same `sluice load` would resume from these parts
  finished,   // it ended (these are what its own clean-up could not remove)
  unknown,    // not a load in this machine's job store
};
std::string_view to_string(StagedJobState s);

struct StagedJobDir {
  std::string dir;                // key prefix of the directory, e.g. "sluice/12/"
  std::int64_t job_id = 0;
  StagedJobState state = StagedJobState::unknown;
  std::string note;               // "pid 123", "process ended unexpectedly", ...
  std::uint64_t objects = 0, bytes = 0;
  int uploads = 0;                // unfinished multipart uploads
  std::string newest;             // ISO-8601 time of the newest object or upload
  double age_days = 0;            // since `newest`
  bool selected = false;          // stage clean would remove it
  std::string skip_reason;        // why not, when not selected
};

struct StageListing {
  std::string connection;
  std::string stage_url;          // s3://bucket/prefix/
  std::vector<StagedJobDir> dirs; // by job id
  std::uint64_t other_objects = 0;  // under the prefix but not in a job directory (never touched)
};

struct StageCleanRequest {
  std::optional<double> older_than_days;  // only directories whose newest object is older
  std::vector<std::int64_t> jobs;         // only these job directories (empty: all)
};

struct StageCleanResult {
  std::int64_t job_id = 0;  // the clean's own job in the job store
  int dirs = 0;
  std::uint64_t objects_deleted = 0, bytes_deleted = 0;
  int uploads_aborted = 0;
  std::vector<std::string> skipped;  // directories that turned out to be running at deletion time
};

class StageCleanup {
 public:
  // `connection` must be a Snowflake connection with a stage; S3 credentials come from the
  // environment as for a load.
  StageCleanup(const ConnectionSpec& connection, JobLookup lookup, JobLog& jobs, const Cancellation& cancel);

  // Lists the stage prefix (objects and unfinished multipart uploads), grouped by job directory,
  // with each job's state; marks what a clean with `request` would remove.
  StageListing list(const StageCleanRequest& request = {});

  // Removes the selected directories of `listing`: each job's state is checked again just before
  // its directory goes (a resume may have started since the listing), then its objects are deleted
  // and its unfinished multipart uploads aborted. Recorded as a "stage-clean" job.
  StageCleanResult clean(const StageListing& listing);

 private:
  void classify(StagedJobDir& d);

  const ConnectionSpec& connection_;
  JobLookup lookup_;
  JobLog& jobs_;
  const Cancellation& cancel_;
};

}  // namespace sluice
