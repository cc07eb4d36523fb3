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
    store_.record_chunk(r);
  }

 private:
  JobStore& store_;
};

}  // namespace sluice
