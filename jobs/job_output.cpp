#include "jobs/job_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "jobs/job_store.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kLogRotateBytes = 1u << 20;
constexpr std::uint64_t kResultMaxBytes = 16u << 20;
constexpr std::size_t kEarlyMaxBytes = 64u << 10;   // log lines from before the first job
constexpr std::size_t kPartialMaxBytes = 16u << 10; // a stderr line still without its newline
constexpr std::size_t kKeepJobs = 200;              // the Jobs screen lists at most 200 jobs

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

int open_for_writing(const fs::path& p) { return ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600); }

struct State {
  std::mutex mutex;
  bool alive = false;  // a JobOutputCapture exists
  bool copy = false;   // keep copies (not when the menu launched the process: its launch has them)
  fs::path store;      // the job store of the jobs begun
  std::vector<std::int64_t> jobs;
  JobOutputFiles files;  // the first job's
  int log_fd = -1, out_fd = -1;
  std::uint64_t log_bytes = 0, out_bytes = 0;
  bool out_cut = false;
  std::string early;    // log lines from before the first job
  std::string partial;  // stderr text after its last newline
  bool after_cr = false;
  std::FILE* real_out = nullptr;
  std::FILE* real_err = nullptr;
  bool installed = false;
};

// Never destroyed: exit() flushes the copying streams after every destructor has run, and they
// point here.
State& state() {
  static State* s = new State;
  return *s;
}

void append_log(State& s, std::string_view text) {
  if (s.log_fd < 0) {
    s.early.append(text);
    if (s.early.size() > kEarlyMaxBytes) s.early.erase(0, s.early.size() - kEarlyMaxBytes);
    return;
  }
  write_all(s.log_fd, text.data(), text.size());
  s.log_bytes += text.size();
  if (s.log_bytes < kLogRotateBytes) return;
  // The end of a long log is what matters (how the job ended): the older half moves aside.
  ::close(s.log_fd);
  std::error_code ec;
  fs::rename(s.files.log, s.files.log.string() + ".1", ec);
  s.log_fd = open_for_writing(s.files.log);
  s.log_bytes = 0;
}

void append_result(State& s, const char* p, std::size_t n) {
  if (s.out_fd < 0 || s.out_cut) return;
  const std::size_t room = static_cast<std::size_t>(kResultMaxBytes - s.out_bytes);
  if (n > room) {
    write_all(s.out_fd, p, room);
    const std::string note = fmt::format("\n[the result was cut here at {} MiB; the terminal got all of it]\n", kResultMaxBytes >> 20);
    write_all(s.out_fd, note.data(), note.size());
    s.out_cut = true;
    return;
  }
  write_all(s.out_fd, p, n);
  s.out_bytes += n;
}

ssize_t copy_stdout(void* cookie, const char* buf, std::size_t n) {
  State& s = *static_cast<State*>(cookie);
  if (!write_all(STDOUT_FILENO, buf, n)) return -1;
  std::lock_guard lock(s.mutex);
  append_result(s, buf, n);
  return static_cast<ssize_t>(n);
}

// The log gets whole lines; a line redrawn in place (\r) keeps its last form, as on the terminal.
ssize_t copy_stderr(void* cookie, const char* buf, std::size_t n) {
  State& s = *static_cast<State*>(cookie);
  if (!write_all(STDERR_FILENO, buf, n)) return -1;
  std::lock_guard lock(s.mutex);
  for (std::size_t i = 0; i < n; ++i) {
    const char c = buf[i];
    if (s.after_cr && c != '\n') s.partial.clear();
    s.after_cr = c == '\r';
    if (c == '\r') continue;
    if (c == '\n') {
      s.partial += '\n';
      append_log(s, s.partial);
      s.partial.clear();
    } else if (s.partial.size() < kPartialMaxBytes) {
      s.partial += c;
    }
  }
  return static_cast<ssize_t>(n);
}

// From now on stdout and stderr are streams that write to the same descriptors and copy.
void install(State& s) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::FILE* out = ::fopencookie(&s, "w", cookie_io_functions_t{nullptr, copy_stdout, nullptr, nullptr});
  std::FILE* err = ::fopencookie(&s, "w", cookie_io_functions_t{nullptr, copy_stderr, nullptr, nullptr});
  if (out) {
    std::setvbuf(out, nullptr, ::isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
    s.real_out = stdout;
    stdout = out;
  }
  if (err) {
    std::setvbuf(err, nullptr, _IONBF, 0);
    s.real_err = stderr;
    stderr = err;
  }
}

// Closes the files and hands back the real streams; returns the jobs begun and their store.
std::pair<std::vector<std::int64_t>, fs::path> close_capture(State& s) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::lock_guard lock(s.mutex);
  if (!s.alive) return {};
  // The copying streams stay open (exit() flushes them; a write through one still reaches the
  // terminal), but stdout and stderr are the real ones again.
  if (s.real_out) stdout = s.real_out;
  if (s.real_err) stderr = s.real_err;
  s.real_out = s.real_err = nullptr;
  if (!s.partial.empty()) append_log(s, s.partial + "\n");
  s.partial.clear();
  for (int* fd : {&s.log_fd, &s.out_fd})
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  s.alive = false;
  s.early.clear();
  return {std::move(s.jobs), std::move(s.store)};
}

}  // namespace

JobOutputFiles job_output_files(const fs::path& state_dir, std::int64_t job_id) {
  const fs::path dir = state_dir / "jobs";
  return {dir / fmt::format("job-{}.log", job_id), dir / fmt::format("job-{}.out", job_id)};
}

void prune_numbered_files(const fs::path& dir, std::string_view prefix, std::size_t keep) {
  std::error_code ec;
  std::vector<std::pair<long long, fs::path>> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::size_t digits = name.find_first_not_of("0123456789", prefix.size());
    if (digits == prefix.size() || digits == std::string::npos || name[digits] != '.') continue;
    files.emplace_back(std::stoll(name.substr(prefix.size(), digits - prefix.size())), it->path());
  }
  std::vector<long long> numbers;
  for (const auto& f : files) numbers.push_back(f.first);
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  if (numbers.size() <= keep) return;
  const long long oldest_kept = numbers[numbers.size() - keep];
  for (const auto& [n, path] : files)
    if (n < oldest_kept) fs::remove(path, ec);
}

JobOutputCapture::JobOutputCapture() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.alive = true;
  s.copy = current_launch_id() == 0;
}

JobOutputCapture::~JobOutputCapture() { close_capture(state()); }

void JobOutputCapture::finish(int exit_code) {
  const auto [jobs, store] = close_capture(state());
  if (jobs.empty()) return;
  try {
    JobStore js(store);
    for (const std::int64_t id : jobs) js.set_exit_code(id, exit_code);
  } catch (const std::exception&) {
    // The job keeps the status it recorded; the menu cannot tell a later failure to print.
  }
}

void JobOutputCapture::job_begun(const fs::path& job_store, std::int64_t job_id) {
  State& s = state();
  bool copying = false;
  {
    std::lock_guard lock(s.mutex);
    if (!s.alive) return;
    s.jobs.push_back(job_id);
    if (s.store.empty()) s.store = job_store;
    if (!s.copy) return;
    const JobOutputFiles files = job_output_files(job_store.parent_path(), job_id);
    if (s.installed) {
      // A second job of the same process: the same output, under its id too.
      if (s.log_fd >= 0) {
        std::error_code ec;
        fs::create_hard_link(s.files.log, files.log, ec);
        fs::create_hard_link(s.files.result, files.result, ec);
      }
      return;
    }
    std::error_code ec;
    fs::create_directories(files.log.parent_path(), ec);
    s.log_fd = open_for_writing(files.log);
    s.out_fd = open_for_writing(files.result);
    s.files = files;
    s.installed = true;
    prune_numbered_files(files.log.parent_path(), "job-", kKeepJobs);
    if (s.log_fd >= 0 && !s.early.empty()) append_log(s, s.early);
    s.early.clear();
    copying = s.log_fd >= 0 || s.out_fd >= 0;
  }
  // Outside the lock: flushing the old streams must not wait for it.
  if (copying) install(s);
}

void JobOutputCapture::log_line(std::string_view line) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.alive || !s.copy) return;
  std::string text(line);
  if (text.empty() || text.back() != '\n') text += '\n';
  append_log(s, text);
}

}  // namespace sluice
