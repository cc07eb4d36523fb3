#include "tests/support/test_postgres.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace sluice::test {
namespace {

// Stops the cluster in `dir` and removes the dir; never throws (runs from destructors and exit).
void destroy(const fs::path& dir) {
  try {
    EmbeddedPostgres(dir / "pg").stop();
  } catch (const Error& e) {
    std::fprintf(stderr, "test cleanup: %s\n", e.report().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "test cleanup: %s\n", e.what());
  }
  // After a kill mid-initdb, initdb's own postgres child may write on for a moment.
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (!fs::exists(dir, ec)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Clusters still alive, so they are cleaned up however this process ends:
//  - normally: TearDown / ~TempCluster;
//  - exit() from inside a test (skips TearDown): the atexit handler;
//  - SIGINT, SIGTERM, SIGKILL, a crash: the reaper, a detached process that notices this one is
//    gone when its socket end closes, then stops the servers and removes the directories.
// The reaper instead of a signal handler: cleaning up inside a dying process races the test
// thread, which keeps starting servers and recreating directories (seen: orphaned initdb, leftover
// dirs); once the process is dead nothing can race, and even SIGKILL is covered.
struct Registry {
  std::mutex mu;
  std::vector<fs::path> dirs;
  int reaper = -1;  // our end of the socket to the reaper; "+dir\n" registers, "-dir\n" forgets
};

void destroy_all();

[[noreturn]] void reap(int sock) {
  std::vector<std::string> dirs;
  std::string buf;
  char chunk[4096];
  for (ssize_t n; (n = read(sock, chunk, sizeof chunk)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    buf.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1)) {
      const std::string dir = buf.substr(1, nl - 1);
      if (buf[0] == '+') dirs.push_back(dir);
      else std::erase(dirs, dir);
    }
  }
  for (const auto& d : dirs) destroy(d);
  _exit(0);  // no atexit handlers or destructors: they belong to the test process
}

// Forks the reaper once, detached (setsid, double fork) so neither Ctrl-C nor ctest killing the
// test's process tree reaches it.
int start_reaper() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    std::signal(SIGPIPE, SIG_IGN);  // a closed stderr (`| head`) must not cut the cleanup short
    const int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);  // stderr stays: cleanup problems should still be seen
    // Keep only our socket end (as fd 3). Any other copy of the test's end held here would keep
    // the socket open after the test dies and the reaper would wait forever.
    dup2(sv[1], 3);
    close_range(4, ~0U, 0);
    reap(3);
  }
  close(sv[1]);
  if (child < 0) {
    close(sv[0]);
    return -1;
  }
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {}
  return sv[0];
}

Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;  // leaked on purpose: the atexit handler uses it
    reg->reaper = start_reaper();
    std::atexit(destroy_all);
    return reg;
  }();
  return *r;
}

void tell_reaper(char op, const fs::path& dir) {
  if (registry().reaper < 0) return;
  const std::string msg = op + dir.string() + "\n";
  (void)!send(registry().reaper, msg.data(), msg.size(), MSG_NOSIGNAL);
}

void track(const fs::path& dir) {
  std::lock_guard lock(registry().mu);
  registry().dirs.push_back(dir);
  tell_reaper('+', dir);
}

// True if `dir` was still tracked, i.e. the caller now owns its cleanup.
bool untrack(const fs::path& dir) {
  std::lock_guard lock(registry().mu);
  auto& dirs = registry().dirs;
  auto it = std::find(dirs.begin(), dirs.end(), dir);
  if (it == dirs.end()) return false;
  dirs.erase(it);
  return true;
}

void destroy_all() {
  std::vector<fs::path> dirs;
  {
    std::lock_guard lock(registry().mu);
    dirs.swap(registry().dirs);
  }
  for (const auto& d : dirs) {
    destroy(d);
    tell_reaper('-', d);
  }
}

std::unique_ptr<TempCluster> g_cluster;
std::string g_conninfo;

}  // namespace

TempCluster::TempCluster(const std::string& prefix) {
  // Always /tmp, not $TMPDIR: short (socket paths are limited) and reachable by the server account.
  std::string tmpl = fmt::format("/tmp/{}-XXXXXX", prefix);
  if (!mkdtemp(tmpl.data())) throw runtime_error("mkdtemp failed", tmpl + ": " + errno_text(errno));
  dir_ = tmpl;
  chmod(dir_.c_str(), 0755);
  track(dir_);
  server_ = std::make_unique<EmbeddedPostgres>(dir_ / "pg");
}

TempCluster::~TempCluster() {
  if (!untrack(dir_)) return;  // the exit cleanup already did it
  destroy(dir_);
  tell_reaper('-', dir_);
}

void TestPostgres::SetUp() {
  try {
    g_cluster = std::make_unique<TempCluster>("sluice-it");
    g_cluster->server().start();
    g_conninfo = g_cluster->server().conninfo();
  } catch (const Error& e) {
    g_cluster.reset();
    FAIL() << "cannot start the test PostgreSQL server\n" << e.report();
  } catch (const std::exception& e) {
    g_cluster.reset();
    FAIL() << "cannot start the test PostgreSQL server: " << e.what();
  }
}

void TestPostgres::TearDown() { g_cluster.reset(); }

const std::string& TestPostgres::conninfo() { return g_conninfo; }

fs::path TestPostgres::cluster_dir() {
  return g_cluster ? g_cluster->server().cluster_dir() : fs::path();
}

pg::Connection test_connection() { return pg::Connection::open(TestPostgres::conninfo(), "sluice-test"); }

std::string unique_schema_or_table_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::string name;
  for (char c : prefix.empty() ? std::string("t") : prefix)
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  if (std::isdigit(static_cast<unsigned char>(name[0]))) name.insert(0, "t");
  const std::string suffix = fmt::format("_{}_{}", getpid(), ++counter);
  name.resize(std::min(name.size(), 63 - suffix.size()));  // NAMEDATALEN - 1
  return name + suffix;
}

}  // namespace sluice::test
