#include "jobs/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"
#include "jobs/job_output.h"
#include "jobs/job_store.h"
#include "jobs/session_log.h"

extern char** environ;

namespace sluice {

std::string shell_quote(std::string_view word) {
  const bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789-_./=:,+@%") == std::string_view::npos;
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string shell_line(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + shell_quote(w);
  return out;
}

Launcher::Launcher(JobStore& store, std::filesystem::path sluice, std::vector<std::string> global_args,
                   std::filesystem::path work_dir, SessionLog* session)
    : store_(store), sluice_(std::move(sluice)), global_args_(std::move(global_args)), work_dir_(std::move(work_dir)),
      session_(session) {}

std::string Launcher::script_line(const BatchCommand& command) const {
  std::vector<std::string> words{"sluice", "--batch"};
  words.insert(words.end(), global_args_.begin(), global_args_.end());
  words.insert(words.end(), command.args.begin(), command.args.end());
  return shell_line(words);
}

std::int64_t Launcher::launch(const BatchCommand& command) {
  std::filesystem::create_directories(work_dir_);
  const std::string line = script_line(command);
  const std::int64_t id = store_.add_launch(command.title, line, "", "", command.args.empty() ? "" : command.args.front());
  // The menu lists the newest 100 launches; older ones' logs and results go.
  prune_numbered_files(work_dir_, "launch-", 100);
  const std::filesystem::path log_path = work_dir_ / fmt::format("launch-{}.log", id);
  const std::filesystem::path result_path = work_dir_ / fmt::format("launch-{}.out", id);
  store_.set_launch_files(id, log_path.string(), result_path.string());
  // Everything the child needs is built before fork(): between fork and exec only async-signal-safe
  // calls are allowed (the menu has other threads).
  // The log at debug level also holds the command's own account of how it went (a load's text
  // summary with every QC finding), which the menu shows when the result cannot be read.
  std::vector<std::string> argv_s{sluice_.string(), "--batch", "--progress", "none", "--log-level", "debug"};
  argv_s.insert(argv_s.end(), global_args_.begin(), global_args_.end());
  argv_s.insert(argv_s.end(), command.args.begin(), command.args.end());
  argv_s.insert(argv_s.end(), command.result_args.begin(), command.result_args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "SLUICE_LAUNCH_ID=", 17) != 0) env_s.emplace_back(*e);
  env_s.push_back(fmt::format("SLUICE_LAUNCH_ID={}", id));
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int out_fd = ::open(result_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipe_fds[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {log_fd, out_fd, null_fd, pipe_fds[0], pipe_fds[1]})
      if (fd >= 0) ::close(fd);
  };
  if (log_fd < 0 || out_fd < 0 || null_fd < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    const int err = errno;
    close_all();
    store_.finish_launch(id, 127);
    throw runtime_error("cannot start a background job", fmt::format("{}: {}", work_dir_.string(), std::strerror(err)),
                        "Check free space and permissions of the state directory.");
  }
  // Twice forked: the job is nobody's child once the middle process exits, so it never becomes a
  // zombie of the menu and lives on when the menu quits.
  const pid_t middle = ::fork();
  if (middle == 0) {
    const pid_t job = ::fork();
    if (job != 0) {
      const int pid = static_cast<int>(job);
      (void)!::write(pipe_fds[1], &pid, sizeof pid);
      ::_exit(job > 0 ? 0 : 1);
    }
    // The job leads a session and process group of its own: no terminal signals from the menu's
    // terminal reach it, and cancel() signals the whole group.
    ::setsid();
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    const char msg[] = "sluice menu: cannot run the sluice program for this job\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  pipe_fds[1] = -1;
  int job_pid = 0;
  if (middle > 0) {
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
    }
    if (::read(pipe_fds[0], &job_pid, sizeof job_pid) != static_cast<ssize_t>(sizeof job_pid)) job_pid = 0;
  }
  close_all();
  if (job_pid <= 0) {
    store_.finish_launch(id, 127);
    throw runtime_error("cannot start a background job", "fork failed", "The system is out of processes or memory.");
  }
  store_.set_launch_pid(id, job_pid);
  if (session_) session_->append(line);
  return id;
}

bool Launcher::cancel(int pid) {
  if (pid <= 0) return false;
  // The job leads its own process group (setsid); SIGTERM cancels it like Ctrl-C does.
  return ::kill(-pid, SIGTERM) == 0;
}

bool launch_process_alive(int pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace sluice
