#include "app/embedded_postgres.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "app/paths.h"
#include "core/error.h"
#include "warehouse/postgres/connection.h"

namespace fs = std::filesystem;

namespace sluice {
namespace {

constexpr int kPort = 5432;
constexpr const char* kUser = "sluice";
constexpr const char* kDatabase = "sluice";
constexpr int kStartTimeoutSeconds = 60;
// sockaddr_un.sun_path holds 107 characters; stay clear of it with a round margin.
constexpr std::size_t kMaxSocketPath = 100;

// Who the server programs run as. As root they must run as someone else (initdb and postgres
// refuse root); otherwise as ourselves.
struct Account {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::string home;
  std::vector<gid_t> groups;
};

std::optional<Account> lookup_account(uid_t uid, const char* name) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (name) getpwnam_r(name, &pw, buf.data(), buf.size(), &found);
  else getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  if (!found) return std::nullopt;
  Account a{true, pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir ? pw.pw_dir : "/", {}};
  int n = 64;
  a.groups.resize(n);
  if (getgrouplist(pw.pw_name, pw.pw_gid, a.groups.data(), &n) < 0) {
    a.groups.resize(n);
    getgrouplist(pw.pw_name, pw.pw_gid, a.groups.data(), &n);
  }
  a.groups.resize(n);
  return a;
}

Account server_account(const fs::path& data_dir) {
  if (geteuid() != 0) return {};
  // An existing cluster keeps running as whoever created it; postgres refuses a data directory
  // owned by anyone else.
  struct stat st{};
  if (stat(data_dir.c_str(), &st) == 0 && st.st_uid != 0)
    if (auto a = lookup_account(st.st_uid, nullptr)) return *a;
  for (const char* name : {"postgres", "nobody"})
    if (auto a = lookup_account(0, name)) return *a;
  throw runtime_error("no account to run the embedded PostgreSQL server as",
                      "sluice runs as root, which PostgreSQL refuses, and neither the postgres nor "
                      "the nobody account exists",
                      "Install PostgreSQL (apt-get install postgresql creates the postgres "
                      "account), or run sluice as a normal user.");
}

std::string tail_lines(const std::string& text, int n) {
  std::size_t pos = text.size();
  while (pos > 0 && (text[pos - 1] == '\n' || text[pos - 1] == '\r')) --pos;
  const std::size_t end = pos;
  while (pos > 0 && n > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) { pos = 0; break; }
    if (--n == 0) { ++pos; break; }
  }
  return text.substr(pos, end - pos);
}

std::string log_tail(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  if (!in) return fmt::format("(no server log at {})", log.string());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = tail_lines(ss.str(), 20);
  return fmt::format("last lines of {}:\n{}", log.string(), text.empty() ? "(empty)" : text);
}

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr interleaved
};

// fork + execve with no shell. The child runs only async-signal-safe calls (we may have threads),
// so everything it needs is prepared here first.
RunResult run(const std::vector<std::string>& args, const Account& account, const fs::path& cwd) {
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C"};
  // LC_ALL=C keeps the programs' own messages unlocalized; the cluster's locale is set by initdb.
  const char* home = account.switch_user ? account.home.c_str() : std::getenv("HOME");
  env.push_back(fmt::format("HOME={}", home ? home : "/"));
  if (account.switch_user) {
    env.push_back("USER=" + account.name);
    env.push_back("LOGNAME=" + account.name);
  } else {
    for (const char* v : {"USER", "LOGNAME"})
      if (const char* val = std::getenv(v)) env.push_back(fmt::format("{}={}", v, val));
  }
  for (const char* v : {"TZ", "LD_LIBRARY_PATH"})
    if (const char* val = std::getenv(v)) env.push_back(fmt::format("{}={}", v, val));
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0)
    throw runtime_error("cannot create a pipe", errno_text(errno));
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    if (devnull >= 0) close(devnull);
    throw runtime_error(fmt::format("cannot start {}", args[0]), errno_text(err));
  }
  if (pid == 0) {
    auto die = [](const char* what) {
      const int err = errno;
      const char* msg = strerror(err);  // not strictly async-signal-safe, but only on this path
      (void)!write(2, what, strlen(what));
      (void)!write(2, ": ", 2);
      (void)!write(2, msg, strlen(msg));
      (void)!write(2, "\n", 1);
      _exit(127);
    };
    if (devnull >= 0) dup2(devnull, 0);
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    // Our descriptors (sockets, logs) must not leak into a server that outlives us.
    close_range(3, ~0U, 0);
    if (account.switch_user) {
      if (setgroups(account.groups.size(), account.groups.data()) != 0) die("setgroups");
      if (setgid(account.gid) != 0) die("setgid");
      if (setuid(account.uid) != 0) die("setuid");
    }
    // If we die (Ctrl-C in another process group, SIGKILL), an initdb must not go on writing a
    // cluster nobody will finish. Set after setuid, which clears it; the postmaster pg_ctl
    // launches does not inherit it and keeps running, as a started server should.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (chdir(cwd.c_str()) != 0 && chdir("/") != 0) die("chdir");
    execve(argv[0], argv.data(), envp.data());
    die(argv[0]);
  }
  close(pipefd[1]);
  if (devnull >= 0) close(devnull);

  // pg_ctl's server redirects its output to the log, but if anything still held the pipe open we
  // would wait forever for EOF; stop reading once the child itself has exited.
  RunResult result;
  int status = 0;
  bool reaped = false;
  char buf[4096];
  for (;;) {
    pollfd p{pipefd[0], POLLIN, 0};
    const int ready = poll(&p, 1, 200);
    if (ready > 0) {
      const ssize_t n = read(pipefd[0], buf, sizeof buf);
      if (n > 0) { result.output.append(buf, static_cast<std::size_t>(n)); continue; }
      if (n == 0 || errno != EINTR) break;
      continue;
    }
    if (ready < 0 && errno != EINTR) break;
    if (waitpid(pid, &status, WNOHANG) == pid) { reaped = true; break; }
  }
  if (reaped) {
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;)
      result.output.append(buf, static_cast<std::size_t>(n));
  }
  close(pipefd[0]);
  while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  while (!result.output.empty() && std::isspace(static_cast<unsigned char>(result.output.back())))
    result.output.pop_back();
  return result;
}

std::string read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

bool has_server_programs(const fs::path& dir) {
  for (const char* p : {"initdb", "pg_ctl", "postgres"})
    if (access((dir / p).c_str(), X_OK) != 0) return false;
  return true;
}

// `cluster_major` is the initialized cluster's version: a cluster only runs with its own major.
fs::path find_bindir(const std::string& cluster_major) {
  if (const char* env = std::getenv("SLUICE_PG_BINDIR"); env && *env) {
    if (has_server_programs(env)) return env;
    throw runtime_error("SLUICE_PG_BINDIR does not hold the PostgreSQL server programs",
                        fmt::format("{} lacks initdb, pg_ctl or postgres", env),
                        "Point SLUICE_PG_BINDIR at a directory with all three, or unset it.");
  }
  const fs::path root = "/usr/lib/postgresql";
  if (!cluster_major.empty()) {
    const fs::path dir = root / cluster_major / "bin";
    if (has_server_programs(dir)) return dir;
    throw runtime_error(
        fmt::format("the PostgreSQL {} server programs are missing", cluster_major),
        fmt::format("the embedded cluster was created by PostgreSQL {}, and {} lacks initdb, "
                    "pg_ctl or postgres",
                    cluster_major, dir.string()),
        fmt::format("Install them: apt-get install postgresql-{} (or set SLUICE_PG_BINDIR).",
                    cluster_major));
  }
  fs::path best;
  double best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    const double version = std::strtod(name.c_str(), &end);  // "15", also old "9.6"
    if (end == name.c_str() || *end != '\0' || version <= best_version) continue;
    if (!has_server_programs(entry.path() / "bin")) continue;
    best = entry.path() / "bin";
    best_version = version;
  }
  if (best.empty())
    throw runtime_error("cannot find the PostgreSQL server programs",
                        "no initdb, pg_ctl and postgres in /usr/lib/postgresql/*/bin, and "
                        "SLUICE_PG_BINDIR is unset",
                        "Install them: apt-get install postgresql (or set SLUICE_PG_BINDIR to "
                        "their directory).");
  return best;
}

// Creates missing directories; as root with mode 0755 so the server account can pass through
// (whatever the umask), else 0700 like the other XDG directories.
void create_directories(const fs::path& dir, mode_t mode) {
  fs::path p;
  for (const auto& part : dir) {
    p /= part;
    if (mkdir(p.c_str(), mode) == 0) {
      chmod(p.c_str(), mode);
    } else if (errno != EEXIST) {
      throw runtime_error(fmt::format("cannot create directory {}", p.string()), errno_text(errno),
                          "Check the permissions of its parent, or set SLUICE_PG_DIR elsewhere.");
    }
  }
}

std::string owner_name(uid_t uid) {
  auto a = lookup_account(uid, nullptr);
  return a ? a->name : std::to_string(uid);
}

// The server account must be able to enter every directory above the cluster (root's 0700 home
// is the usual trap); say which one blocks instead of letting initdb fail obscurely.
void check_reachable(const fs::path& cluster_dir, const Account& account) {
  for (fs::path p = cluster_dir.parent_path();; p = p.parent_path()) {
    struct stat st{};
    if (stat(p.c_str(), &st) != 0)
      throw runtime_error(fmt::format("cannot inspect {}", p.string()), errno_text(errno));
    mode_t bit = S_IXOTH;
    if (st.st_uid == account.uid) bit = S_IXUSR;
    else if (std::find(account.groups.begin(), account.groups.end(), st.st_gid) !=
             account.groups.end())
      bit = S_IXGRP;
    if (!(st.st_mode & bit))
      throw runtime_error(
          fmt::format("the {} account cannot reach the embedded cluster in {}", account.name,
                      cluster_dir.string()),
          fmt::format("{} has mode {:04o} (owner {}); the server runs as {} because PostgreSQL "
                      "refuses root, and must be able to enter every directory above its cluster",
                      p.string(), st.st_mode & 07777, owner_name(st.st_uid), account.name),
          fmt::format("Set SLUICE_PG_DIR to a directory under /var/lib or /tmp (for example "
                      "/var/lib/sluice/postgres), or allow entry with chmod o+x {}.",
                      p.string()));
    if (p == p.root_path() || p == p.parent_path()) break;
  }
}

// One start/stop at a time per cluster, also across processes (two loads starting the server).
class ClusterLock {
 public:
  explicit ClusterLock(const fs::path& file) {
    fd_ = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0)
      throw runtime_error(fmt::format("cannot open {}", file.string()), errno_text(errno));
    while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {}
  }
  ~ClusterLock() { close(fd_); }
  ClusterLock(const ClusterLock&) = delete;
  ClusterLock& operator=(const ClusterLock&) = delete;

 private:
  int fd_ = -1;
};

std::string quote_conf(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string quote_conninfo(const std::string& v) {
  if (!v.empty() && v.find_first_of(" \t\n'\\") == std::string::npos) return v;
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

EmbeddedPostgres::EmbeddedPostgres(fs::path cluster_dir)
    : cluster_dir_(fs::absolute(cluster_dir).lexically_normal()) {
  if (!cluster_dir_.has_filename()) cluster_dir_ = cluster_dir_.parent_path();  // trailing '/' 
}

fs::path EmbeddedPostgres::default_cluster_dir() {
  if (const char* dir = std::getenv("SLUICE_PG_DIR"); dir && *dir) return fs::absolute(dir);
  // Root's home is 0700, out of reach for the account the server runs as.
  if (geteuid() == 0) return "/var/lib/sluice/postgres";
  return Paths::from_environment().data_dir / "postgres";
}

std::string EmbeddedPostgres::conninfo() const {
  return fmt::format("host={} port={} dbname={} user={}", quote_conninfo((cluster_dir_ / "run").string()),
                     kPort, kDatabase, kUser);
}

namespace {

// The postmaster's pid when it is alive. After a crash or a container restart postmaster.pid can
// name a pid since reused by another program, hence the look at /proc.
int running_pid(const fs::path& data_dir) {
  const std::string line = read_first_line(data_dir / "postmaster.pid");
  const int pid = std::atoi(line.c_str());
  if (pid <= 0) return 0;
  if (kill(pid, 0) != 0 && errno != EPERM) return 0;
  const std::string comm = read_first_line(fs::path("/proc") / std::to_string(pid) / "comm");
  if (!comm.empty() && comm != "postgres") return 0;
  return pid;
}

}  // namespace

EmbeddedPostgresStatus EmbeddedPostgres::status() const {
  EmbeddedPostgresStatus s;
  const fs::path data = cluster_dir_ / "data";
  s.cluster_dir = cluster_dir_;
  s.conninfo = conninfo();
  s.version = read_first_line(data / "PG_VERSION");
  s.initialized = !s.version.empty();
  s.pid = s.initialized ? running_pid(data) : 0;
  s.running = s.pid != 0;
  return s;
}

void EmbeddedPostgres::start() {
  const fs::path data = cluster_dir_ / "data";
  const fs::path run_dir = cluster_dir_ / "run";
  const fs::path log = cluster_dir_ / "server.log";
  const std::string socket = (run_dir / fmt::format(".s.PGSQL.{}", kPort)).string();
  if (socket.size() >= kMaxSocketPath)
    throw runtime_error("the embedded PostgreSQL socket path would be too long",
                        fmt::format("{} has {} characters; sluice keeps it under {} (unix sockets "
                                    "allow 107)",
                                    socket, socket.size(), kMaxSocketPath),
                        "Set SLUICE_PG_DIR to a shorter path, e.g. /var/lib/sluice/postgres.");

  const Account account = server_account(data);
  create_directories(cluster_dir_.parent_path(), account.switch_user ? 0755 : 0700);
  if (account.switch_user) check_reachable(cluster_dir_, account);
  for (const fs::path& dir : {cluster_dir_, run_dir}) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      throw runtime_error(fmt::format("cannot create directory {}", dir.string()),
                          errno_text(errno), "Check its parent's permissions or set SLUICE_PG_DIR.");
    // Security rests on these two: the socket directory is reachable only by the server account
    // (and root), which is what makes trust authentication safe; see init below.
    if (chmod(dir.c_str(), 0700) != 0 ||
        (account.switch_user && chown(dir.c_str(), account.uid, account.gid) != 0))
      throw runtime_error(fmt::format("cannot set owner and mode 0700 on {}", dir.string()),
                          errno_text(errno));
  }

  ClusterLock lock(cluster_dir_ / "lock");

  if (read_first_line(data / "PG_VERSION").empty()) {
    const fs::path bindir = find_bindir("");
    // initdb into a side directory renamed into place only when complete, so an interrupted first
    // start never leaves a half-made cluster that looks initialized.
    const fs::path staging = cluster_dir_ / "data.initdb";
    std::error_code ec;
    fs::remove_all(staging, ec);
    std::string failures;
    bool created = false;
    // C.UTF-8 sorts by code point like C but classifies non-ASCII letters; some systems lack it.
    for (const char* locale : {"C.UTF-8", "C"}) {
      // Trust authentication is safe here: the server listens on no TCP address, and its socket
      // lives in a 0700 directory owned by the server account, so only that account and root can
      // connect at all, and both could read the data files directly anyway.
      const RunResult r = run({(bindir / "initdb").string(), "-D", staging.string(), "-U", kUser,
                               "--auth=trust", "-E", "UTF8", fmt::format("--locale={}", locale)},
                              account, cluster_dir_);
      if (r.exit_code == 0) {
        created = true;
        break;
      }
      failures += fmt::format("initdb --locale={} exited with {}:\n{}\n", locale, r.exit_code,
                              tail_lines(r.output, 15));
      fs::remove_all(staging, ec);
    }
    if (!created)
      throw runtime_error(fmt::format("cannot create the embedded PostgreSQL cluster in {}",
                                      data.string()),
                          tail_lines(failures, 40),
                          "Check free disk space and that the server account owns " +
                              cluster_dir_.string() + ".");

    std::ofstream conf(staging / "postgresql.conf", std::ios::app);
    conf << "\n# Added by sluice. A private server for bulk loads: reachable only through the unix\n"
            "# socket below. wal_level=minimal lets COPY into a table created or truncated in the\n"
            "# same transaction skip WAL; fsync stays on, so a committed load survives a crash.\n"
         << "listen_addresses = ''\n"
         << "port = " << kPort << "\n"
         << "unix_socket_directories = " << quote_conf(run_dir.string()) << "\n"
         << "unix_socket_permissions = 0700\n"
         << "wal_level = minimal\n"
         << "max_wal_senders = 0\n"
         << "max_wal_size = '4GB'\n"
         << "shared_buffers = '256MB'\n"
         << "checkpoint_timeout = '15min'\n";
    conf.close();
    if (!conf)
      throw runtime_error(fmt::format("cannot write {}", (staging / "postgresql.conf").string()),
                          errno_text(errno));
    fs::rename(staging, data);
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kStartTimeoutSeconds);
  if (running_pid(data) == 0) {
    // A stale lock file whose pid now belongs to another program makes postgres refuse to start.
    std::error_code ec;
    fs::remove(data / "postmaster.pid", ec);
    fs::remove(run_dir / fmt::format(".s.PGSQL.{}.lock", kPort), ec);

    const fs::path bindir = find_bindir(read_first_line(data / "PG_VERSION"));
    const RunResult r = run({(bindir / "pg_ctl").string(), "-D", data.string(), "-l", log.string(),
                             "-w", "-t", std::to_string(kStartTimeoutSeconds), "start"},
                            account, cluster_dir_);
    if (r.exit_code != 0)
      throw runtime_error("the embedded PostgreSQL server did not start",
                          fmt::format("pg_ctl start exited with {}:\n{}\n{}", r.exit_code,
                                      tail_lines(r.output, 10), log_tail(log)),
                          fmt::format("See {} for the whole server log.", log.string()));
  }

  // pg_ctl -w already waited for "ready"; this also proves the socket works for us.
  const std::string admin = fmt::format("host={} port={} dbname=postgres user={}",
                                        quote_conninfo(run_dir.string()), kPort, kUser);
  while (PQping(admin.c_str()) != PQPING_OK) {
    if (std::chrono::steady_clock::now() > deadline)
      throw runtime_error(fmt::format("the embedded PostgreSQL server did not accept connections "
                                      "within {} s",
                                      kStartTimeoutSeconds),
                          log_tail(log), fmt::format("See {}.", log.string()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // Checked on every start, so a first start interrupted after initdb still ends with the database.
  auto conn = pg::Connection::open(admin, "sluice db start");
  if (conn.query("SELECT 1 FROM pg_database WHERE datname = $1", {kDatabase}).rows() == 0) {
    try {
      conn.exec(fmt::format("CREATE DATABASE {}", kDatabase));
    } catch (const pg::ServerError& e) {
      if (e.sqlstate() != "42P04") throw;  // duplicate_database: a concurrent start won the race
    }
  }
}

void EmbeddedPostgres::stop() {
  const fs::path data = cluster_dir_ / "data";
  if (!fs::is_directory(cluster_dir_)) return;
  // Taken before looking: a start() in progress (initdb, pg_ctl) finishes first, so a stop that
  // races it never misses the server it is about to launch.
  ClusterLock lock(cluster_dir_ / "lock");
  const std::string version = read_first_line(data / "PG_VERSION");
  if (version.empty() || running_pid(data) == 0) return;
  const RunResult r =
      run({(find_bindir(version) / "pg_ctl").string(), "-D", data.string(), "-m", "fast", "-w",
           "-t", std::to_string(kStartTimeoutSeconds), "stop"},
          server_account(data), cluster_dir_);
  if (r.exit_code != 0 && running_pid(data) != 0)
    throw runtime_error("the embedded PostgreSQL server did not stop",
                        fmt::format("pg_ctl stop exited with {}:\n{}\n{}", r.exit_code,
                                    tail_lines(r.output, 10), log_tail(cluster_dir_ / "server.log")),
                        "Try again; if it persists, stop it with pg_ctl -m immediate as the server "
                        "account.");
}

}  // namespace sluice
