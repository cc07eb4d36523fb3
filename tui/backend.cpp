#include "tui/backend.h"

#include <chrono>
#include <fstream>
#include <map>

#include "core/error.h"
#include "jobs/job_output.h"

namespace sluice::tui {

std::string entry_status(const std::optional<LaunchRecord>& launch, const std::vector<JobRecord>& jobs,
                         bool process_alive) {
  const JobRecord* last = jobs.empty() ? nullptr : &jobs.back();
  if (last && last->status == JobStatus::failed && last->error == "process ended unexpectedly") return "crashed";
  if (launch) {
    if (launch->exit_code) {
      if (last && last->status == JobStatus::cancelled) return "cancelled";
      return *launch->exit_code == 0 && !(last && last->status == JobStatus::failed) ? "succeeded" : "failed";
    }
    if (process_alive) return last ? "running" : "starting";
    return "crashed";  // gone without recording how it ended
  }
  if (!last) return "starting";
  // A job that recorded success and then failed to print its result exited nonzero.
  if (last->status == JobStatus::succeeded && last->exit_code && *last->exit_code != 0) return "failed";
  return std::string(to_string(last->status));
}

std::string read_tail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(std::max<std::streamoff>(0, in.tellg()));
  const std::size_t from = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string out(size - from, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  if (from > 0) {
    const auto nl = out.find('\n');
    if (nl != std::string::npos) out.erase(0, nl + 1);  // start at a whole line
  }
  return out;
}

Backend::Backend(JobStore& store, Launcher& launcher, SessionLog& session, const ConfigReader& read_config,
                 SyncMarksReader sync_marks)
    : services_{store, launcher, session, read_config, std::move(sync_marks)}, thread_([this] { run(); }) {}

Backend::~Backend() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

Snapshot Backend::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void Backend::refresh_soon() {
  {
    std::lock_guard lock(mutex_);
    refresh_now_ = true;
  }
  wake_.notify_one();
}

void Backend::run() {
  using clock = std::chrono::steady_clock;
  auto next_refresh = clock::now();
  auto next_reap = clock::now();
  for (;;) {
    std::function<void(Services&)> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_refresh, [&] { return stop_ || !queue_.empty() || refresh_now_; });
      if (stop_) return;
      if (!queue_.empty()) {
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      refresh_now_ = false;
    }
    if (task) task(services_);
    if (clock::now() >= next_reap) {
      try {
        services_.store.reap_dead_jobs();
      } catch (const Error&) {
      }
      next_reap = clock::now() + std::chrono::seconds(2);
    }
    refresh();
    next_refresh = clock::now() + std::chrono::milliseconds(300);
  }
}

void Backend::refresh() {
  Snapshot next;
  try {
    JobStore& store = services_.store;
    const std::filesystem::path state_dir = store.path().parent_path();
    const auto launches = store.recent_launches(100);
    const auto jobs = store.recent_jobs(200);
    std::map<std::int64_t, std::vector<JobRecord>> by_launch;
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it)
      if (it->launch_id) by_launch[it->launch_id].push_back(*it);
    // Newest first, launches and outside jobs interleaved by start time (ids of both grow).
    std::vector<JobEntry> entries;
    for (const auto& l : launches) {
      JobEntry e;
      e.launch_id = l.id;
      e.title = l.title;
      e.command = l.command;
      e.started_at = l.started_at;
      e.finished_at = l.finished_at;
      e.started_unix = l.started_unix;
      e.finished_unix = l.finished_unix;
      e.pid = l.pid;
      e.exit_code = l.exit_code;
      e.log_path = l.log_path;
      e.result_path = l.result_path;
      e.kind = l.kind;
      const auto& own = by_launch[l.id];
      e.status = entry_status(l, own, !l.exit_code && launch_process_alive(l.pid));
      if (!own.empty()) {
        const JobRecord& j = own.back();
        e.job_id = j.id;
        e.kind = j.kind;
        e.error = j.error;
        if (e.finished_at.empty() && e.status == "crashed") {
          e.finished_at = j.finished_at;
          e.finished_unix = j.finished_unix;
        }
        e.phases = store.phases(j.id);
      }
      entries.push_back(std::move(e));
    }
    for (const auto& j : jobs) {
      if (j.launch_id) continue;
      JobEntry e;
      e.job_id = j.id;
      e.kind = j.kind;
      e.title = j.kind + ": " + j.description;
      e.status = entry_status(std::nullopt, {j}, false);
      e.started_at = j.started_at;
      e.finished_at = j.finished_at;
      e.started_unix = j.started_unix;
      e.finished_unix = j.finished_unix;
      e.error = j.error;
      e.pid = j.pid;
      e.exit_code = j.exit_code;
      const JobOutputFiles files = job_output_files(state_dir, j.id);
      e.log_path = files.log.string();
      e.result_path = files.result.string();
      entries.push_back(std::move(e));
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const JobEntry& a, const JobEntry& b) { return a.started_at > b.started_at; });
    // Phases of jobs started elsewhere, for the newest (what the Jobs screen can show at once).
    for (std::size_t i = 0; i < entries.size() && i < 40; ++i)
      if (!entries[i].launch_id && entries[i].job_id) entries[i].phases = store.phases(entries[i].job_id);
    next.jobs = std::move(entries);
  } catch (const Error& e) {
    next.error = e.primary();
  }
  std::lock_guard lock(mutex_);
  next.generation = snapshot_.generation + 1;
  if (!next.error.empty() && next.jobs.empty()) next.jobs = snapshot_.jobs;
  snapshot_ = std::move(next);
}

}  // namespace sluice::tui
