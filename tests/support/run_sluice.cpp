#include "tests/support/run_sluice.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace sluice::test {
namespace {

[[noreturn]] void exec_child(const std::vector<std::string>& args, const RunOptions& options) {
  for (const auto& [k, v] : options.env) ::setenv(k.c_str(), v.c_str(), 1);
  if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(127);
  std::vector<char*> argv;
  std::string bin = SLUICE_BINARY;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(bin.c_str(), argv.data());
  ::_exit(127);
}

}  // namespace

namespace {

RunResult run_on_terminal(const std::vector<std::string>& args, const RunOptions& options) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) exec_child(args, options);
  auto type = [&] {
    for (std::size_t done = 0; done < options.terminal_input.size();) {
      const ssize_t n = ::write(master, options.terminal_input.data() + done, options.terminal_input.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
  };
  // Typed ahead (the terminal keeps the line until the program reads it), or once the program
  // has printed `type_after` (keys such as Ctrl-C act when typed, not when read).
  bool typed = options.type_after.empty();
  if (typed) type();
  RunResult r;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      r.out.append(buf, static_cast<std::size_t>(n));
      if (!typed && r.out.find(options.type_after) != std::string::npos) {
        typed = true;
        type();
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EIO: the program closed the terminal
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace

RunResult run_sluice(const std::vector<std::string>& args, const RunOptions& options) {
  if (options.terminal) return run_on_terminal(args, options);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    exec_child(args, options);
  }
  ::close(out[1]);
  ::close(err[1]);
  RunResult r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

pid_t spawn_sluice(const std::vector<std::string>& args, const RunOptions& options, const std::filesystem::path& log_dir) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int o = ::open((log_dir / "stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open((log_dir / "stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(o, 1);
    ::dup2(e, 2);
    exec_child(args, options);
  }
  return pid;
}

}  // namespace sluice::test
