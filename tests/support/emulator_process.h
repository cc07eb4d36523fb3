// RAII launcher for the Python emulators in tests/emulators (S3, Snowflake SQL API), run with
// Debian's /usr/bin/python3. The constructor starts one in a fresh /tmp/sluice-emu-XXXXXX and
// returns once it accepts requests (it writes its port to a ready file); the destructor stops it
// and removes the directory. The emulator also exits by itself when this process dies, even of
// SIGKILL: it watches its stdin, whose other end only this process holds, and removes its
// directory on the way out.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sluice::test {

class EmulatorProcess {
 public:
  struct Options {
    std::string script;               // file name in tests/emulators, e.g. "s3_emulator.py"
    std::vector<std::string> args;    // "{dir}" is replaced by the emulator's directory
    nlohmann::json config;            // written to {dir}/config.json and passed as --config
    std::chrono::seconds startup_timeout{30};
    // Serve HTTPS only, with {tls_dir}/server.pem and server.key (make_tls_material()); the
    // control calls then trust {tls_dir}/ca.pem.
    std::filesystem::path tls_dir{};
  };

  explicit EmulatorProcess(Options options);  // throws std::runtime_error with its stderr
  ~EmulatorProcess();
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  int port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:<port> (https:// when serving TLS)
  const std::filesystem::path& dir() const { return dir_; }
  pid_t pid() const { return pid_; }

  // The control endpoints (/_emulator/...): JSON in, JSON out; throws on a non-2xx answer.
  nlohmann::json control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nullptr) const;
  // Raw bytes of a control GET (e.g. "object?bucket=b&key=k"); status in *status.
  std::string control_bytes(const std::string& path_and_query, long* status = nullptr) const;
  // The request log, optionally only entries whose `field` equals `value`.
  std::vector<nlohmann::json> requests(const std::string& field = {},
                                       const nlohmann::json& value = nullptr) const;
  void faults(const nlohmann::json& rules) const;  // appends rules
  void reset() const;                              // clears the log and the rules
  std::string stderr_text() const;

 private:
  void stop() noexcept;

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
  std::string scheme_ = "http";
  std::string ca_file_;  // for the control calls over https
};

// Throw-away TLS material in `dir` (tests/emulators/make_test_ca.py): ca.pem, server.pem,
// server.key (localhost, *.localhost, 127.0.0.1, ::1) and other_ca.pem, a CA that signed nothing.
void make_tls_material(const std::filesystem::path& dir);

// "%XX"-encodes a string for a query parameter.
std::string url_param(const std::string& s);

}  // namespace sluice::test
