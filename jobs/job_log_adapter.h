// Lets operations record jobs through the core JobLog interface into the SQLite JobStore.
#pragma once

#include "core/job_log.h"
#include "jobs/job_store.h"

namespace sluice {

class JobStoreLog final : public JobLog {
 public:
  explicit JobStoreLog(JobStore& store) : store_(store) {}
  std::int64_t begin_job(const std::string& kind, const std::string& description, const std::string& args_json) override {
    return store_.begin_job(kind, description, args_json);
  }
  void finish_job(std::int64_t id, JobStatus status, const std::string& summary_json, const std::string& error) override {
    store_.finish_job(id, status, summary_json, error);
  }
  void record_chunk(const ChunkProgress& chunk) override { store_.record_chunk(chunk); }
  std::int64_t find_interrupted(const std::string& kind, const std::string& key) override {
    return store_.find_interrupted(kind, key);
  }
  std::vector<ChunkProgress> chunks_of(std::int64_t job_id) override { return store_.chunks(job_id); }
  std::optional<JobKind> job_kind(std::int64_t job_id) override {
    const auto j = store_.job(job_id);
    if (!j) return std::nullopt;
    return JobKind{j->kind, j->description};
  }

 private:
  JobStore& store_;
};

}  // namespace sluice
