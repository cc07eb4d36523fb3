// What operations record about their jobs (for resume and the Jobs screen). The job store
// (jobs/job_store.h) keeps them in SQLite; operations see only this interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

enum class JobStatus { running, succeeded, failed, cancelled };

std::string_view to_string(JobStatus status);  // "running", "succeeded", ...

// How far a job got with one chunk of a file: where it went and in what state. A load records one
// as each chunk reaches its destination, and a resumed load reads them back.
struct ChunkProgress {
  std::int64_t job_id = 0;
  std::string file;
  std::uint64_t chunk_index = 0, offset = 0, bytes = 0, rows = 0;
  std::uint64_t checksum = 0;
  std::string destination;  // e.g. "postgres:public.fact_lending", "s3://bucket/key"
  std::string status;       // "sent", "staged", ...
  std::string etag;         // a staged object's ETag (Snowflake loads); "" otherwise
};

class JobLog {
 public:
  virtual ~JobLog() = default;
  virtual std::int64_t begin_job(const std::string& kind, const std::string& description,
                                 const std::string& args_json) = 0;
  virtual void finish_job(std::int64_t id, JobStatus status, const std::string& summary_json,
                          const std::string& error) = 0;
  virtual void record_chunk(const ChunkProgress& chunk) = 0;
  // Resume support: the newest job of `kind` with this resume key whose process died before it
  // finished (0: none), and the chunks it recorded.
  virtual std::int64_t find_interrupted(const std::string& /*kind*/, const std::string& /*key*/) { return 0; }
  virtual std::vector<ChunkProgress> chunks_of(std::int64_t /*job_id*/) { return {}; }
  // The kind ("load", "delete", ...) and description of a job this machine recorded; nullopt
  // when it has none by that id.
  struct JobKind {
    std::string kind, description;
  };
  virtual std::optional<JobKind> job_kind(std::int64_t /*job_id*/) { return std::nullopt; }
};

class NullJobLog final : public JobLog {
 public:
  std::int64_t begin_job(const std::string&, const std::string&, const std::string&) override { return 0; }
  void finish_job(std::int64_t, JobStatus, const std::string&, const std::string&) override {}
  void record_chunk(const ChunkProgress&) override {}
};

}  // namespace sluice
