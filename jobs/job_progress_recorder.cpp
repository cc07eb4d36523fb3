#include "jobs/job_progress_recorder.h"

#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text_format.h"
#include "jobs/job_output.h"
#include "jobs/job_store.h"

namespace sluice {

JobProgressRecorder::JobProgressRecorder(std::unique_ptr<ProgressSink> inner, std::function<JobStore*()> store,
                                         std::chrono::milliseconds interval)
    : inner_(std::move(inner)), store_(std::move(store)), interval_(interval) {}

template <class F>
void JobProgressRecorder::record(F&& write) {
  JobStore* store = store_();
  if (!store) return;
  try {
    write(*store);
  } catch (const Error&) {
    // The menu misses one update; the load goes on.
  }
}

void JobProgressRecorder::begin(std::string_view phase, std::string_view subject, std::uint64_t total_bytes) {
  inner_->begin(phase, subject, total_bytes);
  std::lock_guard lock(mutex_);
  pending_ = false;
  phase_ = phase;
  subject_ = subject;
  phase_started_ = std::chrono::steady_clock::now();
  record([&](JobStore& s) { s.begin_phase(std::string(phase), std::string(subject), total_bytes); });
  last_write_ = std::chrono::steady_clock::now();
}

void JobProgressRecorder::update(const ProgressUpdate& u) {
  inner_->update(u);
  std::lock_guard lock(mutex_);
  done_ = u.done_bytes;
  total_ = u.total_bytes;
  rows_ = u.rows;
  pending_ = true;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_write_ < interval_) return;
  pending_ = false;
  last_write_ = now;
  record([&](JobStore& s) { s.update_phase(u.done_bytes, u.total_bytes, u.rows); });
}

void JobProgressRecorder::end(bool ok, std::string_view summary) {
  inner_->end(ok, summary);
  std::lock_guard lock(mutex_);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - phase_started_).count();
  JobOutputCapture::log_line(fmt::format("{}{}{}: {} {} in {}", phase_, subject_.empty() ? "" : " ", subject_, ok ? "done:" : "FAILED:", summary, human_duration(seconds)));
  record([&](JobStore& s) {
    if (pending_) s.update_phase(done_, total_, rows_);  // the counters the throttle held back
    s.end_phase(ok, std::string(summary));
  });
  pending_ = false;
}

void JobProgressRecorder::note(std::string_view message) {
  inner_->note(message);
  JobOutputCapture::log_line(message);
}

}  // namespace sluice
