#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands/commands.h"
#include "jobs/job_store.h"
#include "output/json_text.h"

namespace sluice {
namespace {

// A job's recorded args or summary as JSON: {} when empty, null when not JSON (an older version
// pasted some together), so the listing stays valid JSON.
nlohmann::json recorded_json(const std::string& text) {
  if (text.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

}  // namespace

int run_jobs_command(ApplicationContext& ctx, int limit, bool json) {
  JobStore& store = ctx.jobs();
  const auto jobs = store.recent_jobs(limit);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : jobs) {
      const auto chunks = store.chunks(j.id);
      out.push_back({{"id", j.id}, {"kind", j.kind}, {"description", j.description}, {"status", std::string(to_string(j.status))},
                     {"pid", j.pid}, {"started_at", j.started_at}, {"finished_at", j.finished_at}, {"error", j.error},
                     {"args", recorded_json(j.args_json)}, {"summary", recorded_json(j.summary_json)},
                     {"chunks", chunks.size()}});
    }
    std::printf("%s\n", json_text(out).c_str());
    return 0;
  }
  if (jobs.empty()) {
    std::printf("No jobs yet (job store: %s).\n", store.path().c_str());
    return 0;
  }
  std::printf("%-5s %-8s %-10s %-20s %-20s %-7s %s\n", "id", "kind", "status", "started (UTC)", "finished (UTC)", "chunks", "what");
  for (const auto& j : jobs) {
    std::string what = j.description;
    if (!j.error.empty()) what += " — " + j.error;
    std::printf("%-5lld %-8s %-10s %-20s %-20s %-7zu %s\n", static_cast<long long>(j.id), j.kind.c_str(),
                std::string(to_string(j.status)).c_str(), j.started_at.c_str(), j.finished_at.c_str(),
                store.chunks(j.id).size(), what.c_str());
  }
  return 0;
}

}  // namespace sluice
