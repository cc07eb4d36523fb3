#include "tests/support/emulator_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "warehouse/http/http_client.h"
#include "warehouse/s3/sigv4.h"

namespace fs = std::filesystem;

namespace sluice::test {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with python3-botocore & co.

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_dir(std::string s, const std::string& dir) {
  for (size_t at; (at = s.find("{dir}")) != std::string::npos;) s.replace(at, 5, dir);
  return s;
}

}  // namespace

std::string url_param(const std::string& s) { return aws::uri_encode(s, true); }

EmulatorProcess::EmulatorProcess(Options options) {
  std::string tmpl = "/tmp/sluice-emu-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  const fs::path ready = dir_ / "ready.json";
  const fs::path log = dir_ / "stderr.log";

  std::vector<std::string> argv = {kPython,
                                   std::string(SLUICE_SOURCE_DIR) + "/tests/emulators/" + options.script,
                                   "--ready-file", ready.string(), "--exit-on-stdin-eof",
                                   "--remove-on-exit", dir_.string()};
  if (!options.config.is_null()) {
    std::ofstream(dir_ / "config.json") << options.config.dump(2);
    argv.push_back("--config");
    argv.push_back((dir_ / "config.json").string());
  }
  for (const std::string& a : options.args) argv.push_back(replace_dir(a, dir_.string()));
  if (!options.tls_dir.empty()) {
    for (const char* a : {"--tls-cert", "server.pem", "--tls-key", "server.key"})
      argv.push_back(a[0] == '-' ? std::string(a) : (options.tls_dir / a).string());
    ca_file_ = (options.tls_dir / "ca.pem").string();
  }

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(pipe_fds[0], 0);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(err, 2);
    close_range(3, ~0U, 0);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(kPython, cargv.data());
    _exit(127);
  }
  close(pipe_fds[0]);
  stdin_fd_ = pipe_fds[1];

  const auto deadline = std::chrono::steady_clock::now() + options.startup_timeout;
  while (!fs::exists(ready)) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      const std::string said = read_file(log);
      stop();
      throw std::runtime_error(fmt::format("{} exited during start-up:\n{}", options.script, said));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      const std::string said = read_file(log);
      stop();
      throw std::runtime_error(fmt::format("{} did not start within {} s:\n{}", options.script,
                                           options.startup_timeout.count(), said));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const nlohmann::json said = nlohmann::json::parse(read_file(ready));
  port_ = said.at("port").get<int>();
  scheme_ = said.value("scheme", "http");
}

void make_tls_material(const fs::path& dir) {
  const std::string cmd = fmt::format("{} {}/tests/emulators/make_test_ca.py '{}'", kPython, SLUICE_SOURCE_DIR,
                                      dir.string());
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

EmulatorProcess::~EmulatorProcess() { stop(); }

void EmulatorProcess::stop() noexcept {
  if (stdin_fd_ >= 0) {
    close(stdin_fd_);  // the emulator exits on EOF
    stdin_fd_ = -1;
  }
  if (pid_ > 0) {
    bool exited = false;
    for (int i = 0; i < 200 && !exited; ++i) {  // 10 s
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) exited = true;
      else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string EmulatorProcess::url() const { return fmt::format("{}://127.0.0.1:{}", scheme_, port_); }

std::string EmulatorProcess::stderr_text() const { return read_file(dir_ / "stderr.log"); }

std::string EmulatorProcess::control_bytes(const std::string& path_and_query, long* status) const {
  http::ClientOptions o;
  o.ca_file = ca_file_;
  http::Client client(o);
  http::Request request;
  request.url = url() + "/_emulator/" + path_and_query;
  const http::Response r = client.perform(request);
  if (status) *status = r.status;
  return r.body;
}

nlohmann::json EmulatorProcess::control(const std::string& method, const std::string& path,
                                        const nlohmann::json& body) const {
  http::ClientOptions o;
  o.ca_file = ca_file_;
  http::Client client(o);
  http::Request request;
  request.method = method;
  request.url = url() + "/_emulator/" + path;
  if (!body.is_null()) {
    request.body = http::Body::memory(body.dump());
    request.headers.emplace_back("Content-Type", "application/json");
  }
  const http::Response r = client.perform(request);
  if (r.status / 100 != 2)
    throw std::runtime_error(fmt::format("emulator control {} {}: HTTP {} {}", method, path,
                                         r.status, r.body));
  return nlohmann::json::parse(r.body);
}

std::vector<nlohmann::json> EmulatorProcess::requests(const std::string& field,
                                                      const nlohmann::json& value) const {
  std::vector<nlohmann::json> out;
  const nlohmann::json log = control("GET", "requests");  // not in the for: it would dangle
  for (const auto& r : log.at("requests"))
    if (field.empty() || (r.contains(field) && r.at(field) == value)) out.push_back(r);
  return out;
}

void EmulatorProcess::faults(const nlohmann::json& rules) const {
  control("POST", "faults", nlohmann::json{{"rules", rules}});
}

void EmulatorProcess::reset() const { control("POST", "reset", nlohmann::json::object()); }

}  // namespace sluice::test
