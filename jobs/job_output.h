// What a job started from the command line printed, kept for the menu's Jobs screen. A job the
// menu starts has its stderr and stdout in its launch's files already (jobs/launcher.h); a job run
// in a shell had them only on the terminal. While a JobOutputCapture lives (run_cli), the first job
// the process begins makes it keep, under the state directory:
//
//   jobs/job-<id>.log  the log: what the command prints on stderr from then on (errors, prompts),
//                      its progress notes and phase ends, its warnings; those of before the job
//                      began too
//   jobs/job-<id>.out  the result: what it prints on stdout (the text summary, or the JSON)
//
// The terminal sees what it saw before: stdout and stderr still write to the same file
// descriptors (so isatty and the progress bar's width are unchanged), and the files get a copy.
// The progress bar itself is not copied: it keeps the stream it was given, and its phases are in
// the job store. The log rotates to .log.1 past 1 MiB, the result is cut at 16 MiB, and only the
// files of the newest 200 jobs are kept. Nothing but what the command printed goes there, and it
// prints no secrets (the config refuses inline passwords, server messages are redacted).
//
// Every job the process began, launched by the menu or not, also gets the process's exit code in
// the job store (finish), so a job that recorded "succeeded" and then failed to print its result
// does not look like a success.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace sluice {

struct JobOutputFiles {
  std::filesystem::path log, result;
};

// Where the output of job `job_id` is kept, for the job store in `state_dir`.
JobOutputFiles job_output_files(const std::filesystem::path& state_dir, std::int64_t job_id);

// Removes the files `<prefix><number>.*` in `dir` but those of the `keep` highest numbers (old jobs'
// logs and results).
void prune_numbered_files(const std::filesystem::path& dir, std::string_view prefix, std::size_t keep);

class JobOutputCapture {
 public:
  // One per process, for the process's life (run_cli); copies nothing until a job begins.
  JobOutputCapture();
  ~JobOutputCapture();
  JobOutputCapture(const JobOutputCapture&) = delete;
  JobOutputCapture& operator=(const JobOutputCapture&) = delete;

  // Flushes and closes the files, puts stdout and stderr back, and records `exit_code` on every job
  // the process began.
  void finish(int exit_code);

  // Hooks, which do nothing while no capture lives: JobStore::begin_job reports each job it begins;
  // the progress recorder and the logger hand over the lines the log should hold.
  static void job_begun(const std::filesystem::path& job_store, std::int64_t job_id);
  static void log_line(std::string_view line);
};

}  // namespace sluice
