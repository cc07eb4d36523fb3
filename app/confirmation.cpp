#include "app/confirmation.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text_format.h"

namespace sluice {
namespace {

volatile sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) { g_interrupted = 1; }

// While a prompt waits, Ctrl-C must end the read at once: the program's usual SIGINT handler
// only marks the operation cancelled and lets read() restart (SA_RESTART), which would leave the
// prompt waiting for Enter. Here SIGINT has a handler of its own and stays blocked except inside
// ppoll(), which unblocks it atomically: a Ctrl-C typed just after the prompt appeared, before the
// wait began, is still seen (with a plain read() it could land in between and be lost).
class InterruptibleRead {
 public:
  InterruptibleRead() {
    g_interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, &previous_);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &previous_mask_);
    waiting_mask_ = previous_mask_;
    sigdelset(&waiting_mask_, SIGINT);
  }
  ~InterruptibleRead() {
    sigprocmask(SIG_SETMASK, &previous_mask_, nullptr);
    sigaction(SIGINT, &previous_, nullptr);
  }
  InterruptibleRead(const InterruptibleRead&) = delete;
  InterruptibleRead& operator=(const InterruptibleRead&) = delete;

  // Waits until stdin has input (true) or Ctrl-C was pressed (false).
  bool wait_for_input() const {
    pollfd in{STDIN_FILENO, POLLIN, 0};
    for (;;) {
      if (g_interrupted) return false;
      const int n = ::ppoll(&in, 1, nullptr, &waiting_mask_);
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return true;  // let read() say what is wrong
    }
  }

 private:
  struct sigaction previous_ {};
  sigset_t previous_mask_{}, waiting_mask_{};
};

enum class Answer { line, interrupted, end_of_input };

// One line from stdin with plain read(2), a byte at a time: no stdio buffer reads past the line.
Answer read_line(const InterruptibleRead& guard, std::string& line) {
  line.clear();
  for (;;) {
    if (!guard.wait_for_input()) return Answer::interrupted;
    char c;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n == 1) {
      if (c == '\n') return Answer::line;
      line += c;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return line.empty() ? Answer::end_of_input : Answer::line;
  }
}

}  // namespace

void require_typed_confirmation(const std::string& prompt, const std::string& expected) {
  const InterruptibleRead guard;  // before the prompt shows: a Ctrl-C at it must end the read
  std::fprintf(stderr, "%s\nType \"%s\" to confirm: ", prompt.c_str(), expected.c_str());
  std::fflush(stderr);
  std::string line;
  switch (read_line(guard, line)) {
    case Answer::interrupted:
      std::fputc('\n', stderr);
      throw usage_error("cancelled (Ctrl-C): nothing was deleted", "", "Run the command again to delete.");
    case Answer::end_of_input:
      std::fputc('\n', stderr);
      throw usage_error("no confirmation (end of input): nothing was deleted", "",
                        fmt::format("Run the command again and type \"{}\".", expected));
    case Answer::line: break;
  }
  const std::string typed = collapse_whitespace(line);
  if (typed != expected)
    throw usage_error("the confirmation did not match: nothing was deleted",
                      fmt::format("typed \"{}\", expected \"{}\" (exactly, capitals included)", typed, expected),
                      "Run the command again and type the words shown.");
}

}  // namespace sluice
