// Jobs: every job (started here or from the command line) with its status and progress; one job's
// phases with bytes, rows, speeds and ETA, its log and its result; cancel.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "core/text_format.h"
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
  // Rows older than the job store's v4 have whole seconds only.
  const double start = j.started_unix ? j.started_unix : parse_utc(j.started_at);
  if (!start) return "";
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double end = j.finished() ? (j.finished_unix ? j.finished_unix : parse_utc(j.finished_at)) : now;
  return job_time(std::max(0.0, (end ? end : now) - start));
}

// One phase: a bar when the total is known, then bytes, rows, speeds and the ETA. In a job that did
// not succeed nothing is green: a phase that ran to its end is marked done, not ticked.
int draw_phase(Terminal& t, int y, int x, int width, const PhaseRecord& p, bool live, bool job_failed) {
  const double seconds = std::max(1e-3, p.updated_at - p.started_at);
  const bool ok = p.state == "ok", failed = p.state == "failed";
  const std::string mark = failed ? (t.ascii() ? "!!" : "\u2718")
                           : ok   ? (job_failed ? (t.ascii() ? "-" : "\u00b7") : (t.ascii() ? "ok" : "\u2714"))
                                  : ">";
  t.text(y, x, mark, 2, failed ? Style::bad : ok ? (job_failed ? Style::dim : Style::good) : Style::key);
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
    const double fraction = ok ? 1.0 : static_cast<double>(p.done_bytes) / static_cast<double>(p.total_bytes);
    t.bar(y + 1, x + 3, std::min(40, width - 3), fraction, failed || job_failed ? Style::bad : Style::good);
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
      row += draw_phase(t, row, 1, t.cols() - 2, j.phases[static_cast<std::size_t>(i)], !j.finished(),
                        j.finished() && j.status != "succeeded");
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
            {"", "Jobs started from the command line appear here too, with their log and result."}};
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
    // The log, the result and what they mean are read on the backend thread: the log every half
    // second while the job runs, the outcome when it has ended (again if its status or exit code
    // changes: a job run in a shell prints its result after recording its end).
    if (ready(log_future_)) {
      log_.set_text(log_future_.get());
      if (follow_) log_.scroll_to_end(log_height_);
    }
    if (ready(outcome_future_)) outcome_ = outcome_future_.get();
    const auto now = std::chrono::steady_clock::now();
    if (!log_future_.valid() && !entry_->log_path.empty() && (now - last_log_ > std::chrono::milliseconds(500) || !log_read_once_)) {
      const std::string path = entry_->log_path;
      log_future_ = menu_.backend().submit([path](Services&) { return read_tail(path, 64 * 1024); });
      last_log_ = now;
      log_read_once_ = true;
    }
    const std::string key = entry_->status + "/" + (entry_->exit_code ? std::to_string(*entry_->exit_code) : "");
    if (entry_->finished() && key != outcome_key_ && !outcome_future_.valid()) {
      outcome_key_ = key;
      JobFacts facts{entry_->kind, entry_->status, entry_->exit_code, "", ""};
      const std::string result_path = entry_->result_path, log_path = entry_->log_path;
      outcome_future_ = menu_.backend().submit([facts, result_path, log_path](Services&) mutable {
        if (!result_path.empty()) facts.result = read_tail(result_path, 64u << 20);
        if (!log_path.empty()) facts.log = read_tail(log_path, 64 * 1024);
        return describe_outcome(facts);
      });
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
    // Green only once the result has been read and says it succeeded.
    const bool known = j.finished() && outcome_;
    const bool proven = known && outcome_->success;
    const bool failed = j.finished() && (j.status != "succeeded" || (known && !outcome_->success));
    // Exit code 0 with a result that is missing or cannot be read: not "succeeded".
    const std::string status = known && !outcome_->success && j.status == "succeeded" ? "unknown" : j.status;
    t.text(row++, std::max(1, t.cols() - 28), fmt::format("{:>10} {:>12}", status, elapsed(j)), 27,
           failed ? Style::bad : proven ? Style::good : Style::normal);
    if (!j.command.empty()) t.text(row++, 1, "$ " + j.command, t.cols() - 2, Style::dim);
    if (j.finished())
      t.text(row++, 1, known ? outcome_->verdict : "reading the result...", t.cols() - 2,
             !known ? Style::dim : outcome_->success ? Style::good : Style::bad);
    if (!j.error.empty()) t.text(row++, 1, j.error, t.cols() - 2, Style::bad);
    const int phase_rows = std::min(static_cast<int>(j.phases.size()) * 2, std::max(2, height / 3));
    const int from = std::max(0, static_cast<int>(j.phases.size()) - phase_rows / 2);
    for (int i = from; i < static_cast<int>(j.phases.size()); ++i)
      row += draw_phase(t, row, 1, t.cols() - 2, j.phases[static_cast<std::size_t>(i)], !j.finished(), j.finished() && !proven);
    t.hline(row++, 0, t.cols());
    const bool show_result = result_shown();
    t.text(row++, 1, show_result ? "Result  (l: log)" : j.finished() ? "Log  (r: result)" : "Log (live)", t.cols() - 2, Style::title);
    log_height_ = std::max(1, top + height - row);
    if (show_result) {
      result_view_.set_lines(outcome_->lines);
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
    if (result_shown()) return result_view_.key(k, page);
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
            {"c c", "cancel the job (press twice)"},
            {"", "The line under the command says how the job ended: green only when it succeeded. When its "
                 "result cannot be read, the exit code and the end of its log are shown instead."}};
  }

 private:
  bool result_shown() const { return entry_ && entry_->finished() && outcome_ && !outcome_->lines.empty() && !show_log_; }

  std::int64_t launch_id_, job_id_;
  std::optional<JobEntry> entry_;
  std::future<std::string> log_future_;
  std::future<JobOutcome> outcome_future_;
  std::optional<JobOutcome> outcome_;
  std::string outcome_key_;
  std::chrono::steady_clock::time_point last_log_{};
  bool log_read_once_ = false;
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
