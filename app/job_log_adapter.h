// Lets operations record jobs through the core JobLog interface into the SQLite JobStore.
#pragma once

#include "app/job_store.h"
#include "core/job_log.h"

namespace sluice {

class JobStoreLog final : public JobLog {
 public:
  explicit JobStoreLog(JobStore& store) : store_(store) {}
  std::int64_t begin_job(const std::string& kind, const std::string& description, const std::string& args_json) override {
    return store_.begin_job(kind, description, args_json);
  }
  void finish_job(std::int64_t id, const std::string& status, const std::string& summary_json,
                  const std::string& error) override {
    const JobStatus s = status == "succeeded" ? JobStatus::succeeded
                        : status == "cancelled" ? JobStatus::cancelled
                                                : JobStatus::failed;
    store_.finish_job(id, s, summary_json, error);
  }
  void record_chunk(const ChunkProgress& c) override {
    ChunkRecord r;
    r.job_id = c.job_id;
    r.file = c.file;
    r.chunk_index = static_cast<std::int64_t>(c.chunk_index);
    r.offset = c.offset;
    r.bytes = c.bytes;
    r.rows = c.rows;
    r.checksum = c.checksum;
    r.destination = c.destination;
    r.status = c.status;
    r.etag = c.etag;
    store_.record_chunk(r);
  }
  std::int64_t find_interrupted(const std::string& kind, const std::string& key) override {
    return store_.find_interrupted(kind, key);
  }
  std::vector<ChunkProgress> chunks_of(std::int64_t job_id) override {
    std::vector<ChunkProgress> out;
    for (const ChunkRecord& r : store_.chunks(job_id)) {
      ChunkProgress c;
      c.job_id = r.job_id;
      c.file = r.file;
      c.chunk_index = static_cast<std::uint64_t>(r.chunk_index);
      c.offset = r.offset;
      c.bytes = r.bytes;
      c.rows = r.rows;
      c.checksum = r.checksum;
      c.destination = r.destination;
      c.status = r.status;
      c.etag = r.etag;
      out.push_back(std::move(c));
    }
    return out;
  }

  std::optional<JobKind> job_kind(std::int64_t job_id) override {
    const auto j = store_.job(job_id);
    if (!j) return std::nullopt;
    return JobKind{j->kind, j->description};
  }

 private:
  JobStore& store_;
};

}  // namespace sluice
