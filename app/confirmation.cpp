#include "app/confirmation.h"

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
// prompt waiting for Enter. Without SA_RESTART the read fails with EINTR.
class InterruptibleRead {
 public:
  InterruptibleRead() {
    g_interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, &previous_);
  }
  ~InterruptibleRead() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptibleRead(const InterruptibleRead&) = delete;
  InterruptibleRead& operator=(const InterruptibleRead&) = delete;

 private:
  struct sigaction previous_ {};
};

enum class Answer { line, interrupted, end_of_input };

// One line from stdin with plain read(2): no stdio buffer to retry or to swallow the EINTR.
Answer read_line(std::string& line) {
  line.clear();
  for (;;) {
    char c;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n == 1) {
      if (c == '\n') return Answer::line;
      line += c;
      continue;
    }
    if (n < 0 && errno == EINTR) {
      if (g_interrupted) return Answer::interrupted;
      continue;
    }
    return line.empty() ? Answer::end_of_input : Answer::line;
  }
}

}  // namespace

void require_typed_confirmation(const std::string& prompt, const std::string& expected) {
  const InterruptibleRead guard;  // before the prompt shows: a Ctrl-C at it must end the read
  std::fprintf(stderr, "%s\nType \"%s\" to confirm: ", prompt.c_str(), expected.c_str());
  std::fflush(stderr);
  std::string line;
  switch (read_line(line)) {
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
