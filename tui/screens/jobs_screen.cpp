// Jobs: every job (started here or from the command line) with its status and progress; one job's
// phases with bytes, rows, speeds and ETA, its log and its result; cancel.
#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "app/progress_renderers.h"
#include "tui/result_text.h"
#include "tui/screen.h"
#include "tui/widgets.h"

namespace sluice::tui {
namespace {

Style status_style(const std::string& status) {
  if (status == "succeeded") return Style::good;
  if (status == "failed" || status == "crashed") return Style::bad;
  if (status == "cancelled") return Style::warn;
  return Style::normal;
}

const JobEntry* find_entry(const Snapshot& s, std::int64_t launch_id, std::int64_t job_id) {
  for (const auto& j : s.jobs)
    if ((launch_id && j.launch_id == launch_id) || (!launch_id && job_id && j.job_id == job_id)) return &j;
  return nullptr;
}

// "2024-05-01T12:34:56Z" -> seconds since the epoch (0 when empty).
double parse_utc(const std::string& iso) {
  std::tm tm{};
  if (iso.size() < 19 || !strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return static_cast<double>(timegm(&tm));
}

std::string elapsed(const JobEntry& j) {
  const double start = parse_utc(j.started_at);
  if (!start) return "";
  const double end = j.finished_at.empty() ? static_cast<double>(std::time(nullptr)) : parse_utc(j.finished_at);
  return human_duration(std::max(0.0, end - start));
}

// One phase: a bar when the total is known, then bytes, rows, speeds and the ETA.
int draw_phase(Terminal& t, int y, int x, int width, const PhaseRecord& p, bool live) {
  const double seconds = std::max(1e-3, p.updated_at - p.started_at);
  const std::string mark = p.state == "ok" ? (t.ascii() ? "ok" : "\u2714") : p.state == "failed" ? (t.ascii() ? "!!" : "\u2718") : ">";
  t.text(y, x, mark, 2, p.state == "ok" ? Style::good : p.state == "failed" ? Style::bad : Style::key);
  t.text(y, x + 3, fmt::format("{} {}", p.phase, p.subject), width - 3);
  std::string numbers;
  if (p.done_bytes || p.total_bytes)
    numbers += p.total_bytes ? fmt::format("{} of {}", human_bytes(static_cast<double>(p.done_bytes)), human_bytes(static_cast<double>(p.total_bytes)))
                             : human_bytes(static_cast<double>(p.done_bytes));
  if (p.done_bytes) numbers += fmt::format("  {}/s", human_bytes(static_cast<double>(p.done_bytes) / seconds));
  if (p.rows) numbers += fmt::format("  {} rows  {} rows/s", human_count(static_cast<double>(p.rows)), human_count(static_cast<double>(p.rows) / seconds));
  if (live && p.state == "running" && p.total_bytes && p.done_bytes && p.done_bytes < p.total_bytes) {
    const double eta = static_cast<double>(p.total_bytes - p.done_bytes) / (static_cast<double>(p.done_bytes) / seconds);
    numbers += "  ETA " + human_duration(eta);
  }
  if (!p.summary.empty()) numbers += (numbers.empty() ? "" : "  ") + p.summary;
  int rows = 1;
  if (p.total_bytes && width > 40) {
    const double fraction = p.state == "ok" ? 1.0 : static_cast<double>(p.done_bytes) / static_cast<double>(p.total_bytes);
    t.bar(y + 1, x + 3, std::min(40, width - 3), fraction, p.state == "failed" ? Style::bad : Style::good);
    t.text(y + 1, x + 45, numbers, width - 45, Style::dim);
    rows = 2;
  } else if (!numbers.empty()) {
    t.text(y + 1, x + 3, numbers, width - 3, Style::dim);
    rows = 2;
  }
  return rows;
}

// `c` on a job: the first press arms, a second on the same job cancels it. `armed` is the pid armed.
void press_cancel(Menu& menu, const JobEntry& j, int& armed) {
  if (j.finished()) {
    menu.status("That job has already ended.");
    armed = 0;
  } else if (j.status == "starting") {
    // Its process may not listen for SIGTERM yet; a signal now would look like a crash.
    menu.status("The job is still starting; press c again in a moment.");
  } else if (armed == j.pid) {
    Launcher::cancel(j.pid);
    menu.status(fmt::format("Asked job {} to stop; it rolls back and cleans up.", j.job_id));
    armed = 0;
    menu.backend().refresh_soon();
  } else {
    armed = j.pid;
    menu.status("Press c again to cancel this job (it rolls back).", true);
  }
}

class JobsScreen final : public Screen {
 public:
  explicit JobsScreen(Menu& menu) : Screen(menu) {}
  std::string title() const override { return "Jobs"; }

  void tick() override {
    const Snapshot& s = menu_.snapshot();
    if (s.generation == generation_) return;
    generation_ = s.generation;
    ids_.clear();
    std::vector<std::string> rows;
    for (const auto& j : s.jobs) {
      ids_.emplace_back(j.launch_id, j.job_id);
      rows.push_back(fmt::format("{:<10} {:<9} {:>8}  {}", j.status, j.job_id ? fmt::format("job {}", j.job_id) : "", elapsed(j),
                                 j.title));
    }
    list_.set_rows(rows);
  }

  void draw(Terminal& t, int top, int height) override {
    const Snapshot& s = menu_.snapshot();
    if (!s.error.empty()) t.text(top, 1, "job store: " + s.error, t.cols() - 2, Style::bad);
    t.text(top, 1, fmt::format("{:<10} {:<9} {:>8}  {}", "STATUS", "JOB", "TIME", "WHAT"), t.cols() - 2, Style::title);
    const int list_height = std::max(3, height / 2 - 1);
    list_.draw(t, top + 1, 1, list_height, t.cols() - 2, [&](int row) {
      return row < static_cast<int>(s.jobs.size()) ? status_style(s.jobs[static_cast<std::size_t>(row)].status) : Style::normal;
    });
    const int y = top + 1 + list_height;
    t.hline(y, 0, t.cols());
    const int sel = list_.selected();
    if (sel < 0 || sel >= static_cast<int>(s.jobs.size())) return;
    const JobEntry& j = s.jobs[static_cast<std::size_t>(sel)];
    int row = y + 1;
    t.text(row++, 1, j.command.empty() ? j.title : j.command, t.cols() - 2, Style::dim);
    if (!j.error.empty()) t.text(row++, 1, j.error, t.cols() - 2, Style::bad);
    const int from = std::max(0, static_cast<int>(j.phases.size()) - (top + height - row) / 2);
    for (int i = from; i < static_cast<int>(j.phases.size()) && row < top + height - 1; ++i)
      row += draw_phase(t, row, 1, t.cols() - 2, j.phases[static_cast<std::size_t>(i)], !j.finished());
    if (j.phases.empty() && row < top + height) t.text(row, 1, j.finished() ? "(no progress recorded)" : "starting...", t.cols() - 2, Style::dim);
  }

  bool key(const Key& k, int page) override {
    if (list_.filtering()) return list_.key(k, page);
    const int sel = list_.selected();
    if ((k.kind == Key::enter || k.kind == Key::right) && sel >= 0 && sel < static_cast<int>(ids_.size())) {
      menu_.open_job(ids_[static_cast<std::size_t>(sel)].first, ids_[static_cast<std::size_t>(sel)].second);
      return true;
    }
    if (k.is('c') && sel >= 0 && sel < static_cast<int>(menu_.snapshot().jobs.size())) {
      press_cancel(menu_, menu_.snapshot().jobs[static_cast<std::size_t>(sel)], confirm_cancel_);
      return true;
    }
    confirm_cancel_ = 0;
    return list_.key(k, page);
  }
  bool typing() const override { return list_.filtering(); }

  HelpLines help() const override {
    return {{"Enter", "the job: progress, log and result"},
            {"c c", "cancel the selected job (press twice; it rolls back)"},
            {"", "crashed: the job's process ended without finishing (killed, or the machine restarted)."},
            {"", "Jobs started from the command line appear here too."}};
  }

 private:
  ListView list_;
  std::vector<std::pair<std::int64_t, std::int64_t>> ids_;
  std::uint64_t generation_ = 0;
  int confirm_cancel_ = 0;
};

class JobScreen final : public Screen {
 public:
  JobScreen(Menu& menu, std::int64_t launch_id, std::int64_t job_id) : Screen(menu), launch_id_(launch_id), job_id_(job_id) {}
  std::string title() const override { return launch_id_ ? fmt::format("Job (launch {})", launch_id_) : fmt::format("Job {}", job_id_); }

  void tick() override {
    const JobEntry* j = find_entry(menu_.snapshot(), launch_id_, job_id_);
    if (!j) return;
    entry_ = *j;
    // The log and the result are read on the backend thread, every half second while running.
    if (ready(log_future_)) {
      log_.set_text(log_future_.get());
      if (follow_) log_.scroll_to_end(log_height_);
    }
    if (ready(result_future_)) {
      result_ = describe_result(entry_->kind, result_future_.get());
      result_read_ = true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!log_future_.valid() && !entry_->log_path.empty() && (now - last_log_ > std::chrono::milliseconds(500) || !log_read_once_)) {
      const std::string path = entry_->log_path;
      log_future_ = menu_.backend().submit([path](Services&) { return read_tail(path, 64 * 1024); });
      last_log_ = now;
      log_read_once_ = true;
    }
    if (entry_->finished() && !result_read_ && !result_future_.valid() && !entry_->result_path.empty()) {
      const std::string path = entry_->result_path;
      result_future_ = menu_.backend().submit([path](Services&) { return read_tail(path, 4 * 1024 * 1024); });
    }
  }

  void draw(Terminal& t, int top, int height) override {
    if (!entry_) {
      t.text(top + 1, 2, "waiting for the job to appear in the job store...", t.cols() - 4, Style::dim);
      return;
    }
    const JobEntry& j = *entry_;
    int row = top;
    t.text(row, 1, j.title, t.cols() - 30, Style::title);
    t.text(row++, std::max(1, t.cols() - 28), fmt::format("{:>10} {:>12}", j.status, elapsed(j)), 27, status_style(j.status));
    if (!j.command.empty()) t.text(row++, 1, "$ " + j.command, t.cols() - 2, Style::dim);
    if (!j.error.empty()) t.text(row++, 1, j.error, t.cols() - 2, Style::bad);
    const int phase_rows = std::min(static_cast<int>(j.phases.size()) * 2, std::max(2, height / 3));
    const int from = std::max(0, static_cast<int>(j.phases.size()) - phase_rows / 2);
    for (int i = from; i < static_cast<int>(j.phases.size()); ++i)
      row += draw_phase(t, row, 1, t.cols() - 2, j.phases[static_cast<std::size_t>(i)], !j.finished());
    t.hline(row++, 0, t.cols());
    const bool show_result = j.finished() && !result_.empty() && !show_log_;
    t.text(row++, 1, show_result ? "Result  (l: log)" : j.finished() ? "Log  (r: result)" : "Log (live)", t.cols() - 2, Style::title);
    log_height_ = std::max(1, top + height - row);
    if (show_result) {
      result_view_.set_lines(result_);
      result_view_.draw(t, row, 1, log_height_, t.cols() - 2);
    } else {
      log_.draw(t, row, 1, log_height_, t.cols() - 2);
    }
  }

  bool key(const Key& k, int page) override {
    if (k.is('l')) {
      show_log_ = true;
      return true;
    }
    if (k.is('r')) {
      show_log_ = false;
      return true;
    }
    if (k.is('c') && entry_ && !entry_->finished()) {
      press_cancel(menu_, *entry_, confirm_cancel_);
      return true;
    }
    confirm_cancel_ = 0;
    const bool result_shown = entry_ && entry_->finished() && !result_.empty() && !show_log_;
    if (result_shown) return result_view_.key(k, page);
    if (log_.key(k, page)) {
      follow_ = k.kind == Key::end || k.is('G');
      return true;
    }
    return false;
  }

  HelpLines help() const override {
    return {{"Up/Down PgUp/PgDn", "scroll the log or the result"},
            {"End", "follow the end of the log"},
            {"l / r", "show the log / the result (when the job has ended)"},
            {"c c", "cancel the job (press twice)"}};
  }

 private:
  std::int64_t launch_id_, job_id_;
  std::optional<JobEntry> entry_;
  std::future<std::string> log_future_, result_future_;
  std::chrono::steady_clock::time_point last_log_{};
  bool log_read_once_ = false;
  bool result_read_ = false;
  std::vector<std::string> result_;
  TextView log_, result_view_;
  int log_height_ = 10;
  bool follow_ = true;
  bool show_log_ = false;
  int confirm_cancel_ = 0;
};

}  // namespace

std::unique_ptr<Screen> make_jobs_screen(Menu& menu) { return std::make_unique<JobsScreen>(menu); }
std::unique_ptr<Screen> make_job_screen(Menu& menu, std::int64_t launch_id, std::int64_t job_id) {
  return std::make_unique<JobScreen>(menu, launch_id, job_id);
}

}  // namespace sluice::tui
