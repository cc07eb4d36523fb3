// One HTTP exchange over libcurl, for the S3 and Snowflake SQL API clients. libcurl is wrapped here
// and nowhere else: global init once, one easy handle per HttpClient (RAII; reused, so the
// connection stays open between requests), header lists freed with the request.
//
// Transport rules, enforced on every request: https with certificate and host verification
// (never switched off), plain http only to a loopback host (http/url.h), no redirects, no other
// protocols. Request bodies always have a Content-Length (S3 refuses chunked uploads); a body can
// be a byte range of a file, read with pread, so parallel parts of one file need no copies.
//
// An HttpClient is not thread-safe: use one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cancellation.h"
#include "core/error.h"
#include "core/version.h"

namespace sluice::http {

// What a request sends: nothing, bytes in memory, or `size` bytes of a file from `offset`.
class Body {
 public:
  Body() = default;
  static Body memory(std::string bytes);
  static Body file_range(std::filesystem::path path, std::uint64_t offset, std::uint64_t size);

  bool empty() const { return size() == 0; }
  std::uint64_t size() const { return is_file_ ? file_size_ : bytes_.size(); }
  // Hex SHA-256 of the content (reads the file range).
  std::string sha256_hex() const;
  // Copies up to `n` bytes at `pos` (relative to the body) into `out`; returns the count.
  std::size_t read_at(std::uint64_t pos, char* out, std::size_t n) const;
  const std::filesystem::path& path() const { return path_; }  // empty for memory bodies
  std::uint64_t file_offset() const { return offset_; }

 private:
  bool is_file_ = false;
  std::string bytes_;
  std::filesystem::path path_;
  std::uint64_t offset_ = 0, file_size_ = 0;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";  // GET HEAD PUT POST DELETE
  std::string url;             // absolute, already percent-encoded; sent exactly as given
  Headers headers;             // sent as given (and in this order)
  Body body;
  // A new connection instead of a kept-alive one. libcurl re-sends a request once, silently,
  // when a reused connection answers nothing (the server may have acted on it): requests that
  // must not run twice (a SQL API submit) take a fresh connection so that cannot happen.
  bool fresh_connection = false;
};

struct Response {
  long status = 0;
  Headers headers;  // names lower-cased, in arrival order, of the final response only
  std::string body; // decoded (gzip/deflate) when the server compressed it
  const std::string* header(std::string_view lower_name) const;
};

// The request did not get a complete HTTP response: connection refused or reset, timeout, the
// server closed without answering. The server may or may not have acted on it.
class TransportError : public std::runtime_error {
 public:
  TransportError(int curl_code, std::string message, bool cancelled)
      : std::runtime_error(std::move(message)), curl_code_(curl_code), cancelled_(cancelled) {}
  int curl_code() const { return curl_code_; }
  bool cancelled() const { return cancelled_; }  // stopped by the Cancellation, not the network
  // Worth trying again (network trouble), as opposed to a TLS verification failure or a
  // malformed request, which will fail the same way again.
  bool retryable() const;

 private:
  int curl_code_;
  bool cancelled_;
};

struct ClientOptions {
  std::string user_agent = sluice::user_agent();
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer slower than 1 byte/s for this long is a transport error (a dead peer).
  std::chrono::seconds stall_timeout{120};
  std::chrono::seconds total_timeout{0};  // 0: none (large uploads take as long as they take)
  bool accept_compressed = true;          // Accept-Encoding: gzip/deflate, decoded transparently
  const Cancellation* cancel = nullptr;   // polled during transfers; aborts them
  // CA certificates (PEM) that verify the server instead of the system's bundle: a private CA or
  // a TLS-inspecting proxy (CURLOPT_CAINFO). Empty: the system's (/etc/ssl/certs on Debian).
  std::string ca_file;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs the request. An HTTP error status is a Response, not an exception. Throws
  // TransportError when no complete response arrived, and a usage Error for a URL that may not be
  // used (plain http to a non-loopback host, another scheme).
  Response perform(const Request& request);

  const ClientOptions& options() const { return options_; }

 private:
  struct Impl;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

// For a TLS verification failure (the server's certificate not trusted, its names not matching
// the host, an unusable CA file): an Error whose primary line names the server and the failure,
// whose hint names the CA setting. nullopt for any other transport error. `server` is
// "https://host:port"; `what` says whose ("the S3 stage endpoint"); `ca_setting` is where the
// user sets the CA ("ca_file in the stage entry").
std::optional<Error> tls_error(const TransportError& e, std::string_view server, std::string_view what,
                               const std::string& ca_file, std::string_view ca_setting);

// The libcurl version string ("7.88.1"), for logs and diagnostics.
std::string curl_version();

}  // namespace sluice::http
