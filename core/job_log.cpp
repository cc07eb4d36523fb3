#include "core/job_log.h"

namespace sluice {

std::string_view to_string(JobStatus status) {
  switch (status) {
    case JobStatus::running: return "running";
    case JobStatus::succeeded: return "succeeded";
    case JobStatus::failed: return "failed";
    case JobStatus::cancelled: return "cancelled";
  }
  return "running";
}

}  // namespace sluice
