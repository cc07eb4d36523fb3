#include "warehouse/http/http_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/crypto/digest.h"
#include "warehouse/http/url.h"

namespace sluice::http {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw runtime_error("libcurl could not be initialised");
  });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int open_body_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw runtime_error(fmt::format("cannot open {} for upload", path.string()), errno_text(errno));
  return fd;
}

// pread loop: `n` bytes at `offset`, or fewer at end of file.
std::size_t pread_full(int fd, char* out, std::size_t n, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw runtime_error("read error while uploading", errno_text(errno));
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

// State of one transfer, reached from the libcurl callbacks.
struct Transfer {
  const Body* body = nullptr;
  int fd = -1;              // the body's file, when it is one
  std::uint64_t file_offset = 0;
  std::uint64_t sent = 0;
  Response* response = nullptr;
  const Cancellation* cancel = nullptr;
  std::string read_error;   // a failure inside the read callback (surfaced after perform)
};

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->response->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue, say): start over
    t->response->headers.clear();
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->response->headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

size_t on_read(char* out, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::uint64_t left = t->body->size() - t->sent;
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, size * n));
  if (want == 0) return 0;
  try {
    const std::size_t got = t->fd >= 0 ? pread_full(t->fd, out, want, t->file_offset + t->sent)
                                       : t->body->read_at(t->sent, out, want);
    if (got != want) {
      t->read_error = "the file being uploaded became shorter";
      return CURL_READFUNC_ABORT;
    }
    t->sent += got;
    return got;
  } catch (const Error& e) {
    t->read_error = e.primary() + ": " + e.detail();
    return CURL_READFUNC_ABORT;
  }
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > t->body->size())
    return CURL_SEEKFUNC_CANTSEEK;
  t->sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel && t->cancel->cancelled() ? 1 : 0;
}

template <typename T>
void set(CURL* c, CURLoption option, T value) {
  if (const CURLcode rc = curl_easy_setopt(c, option, value); rc != CURLE_OK)
    throw runtime_error("libcurl option not accepted", curl_easy_strerror(rc));
}

}  // namespace

Body Body::memory(std::string bytes) {
  Body b;
  b.bytes_ = std::move(bytes);
  return b;
}

Body Body::file_range(std::filesystem::path path, std::uint64_t offset, std::uint64_t size) {
  Body b;
  b.is_file_ = true;
  b.path_ = std::move(path);
  b.offset_ = offset;
  b.file_size_ = size;
  return b;
}

std::size_t Body::read_at(std::uint64_t pos, char* out, std::size_t n) const {
  if (pos >= size()) return 0;
  n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size() - pos));
  if (!is_file_) {
    std::memcpy(out, bytes_.data() + pos, n);
    return n;
  }
  Fd fd(open_body_file(path_));
  return pread_full(fd.get(), out, n, offset_ + pos);
}

std::string Body::sha256_hex() const {
  if (!is_file_) return crypto::sha256_hex(bytes_);
  Fd fd(open_body_file(path_));
  crypto::Sha256 sha;
  std::vector<char> buf(1 << 20);
  for (std::uint64_t pos = 0; pos < file_size_;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), file_size_ - pos));
    const std::size_t got = pread_full(fd.get(), buf.data(), want, offset_ + pos);
    if (got != want)
      throw runtime_error(fmt::format("{} is shorter than expected", path_.string()),
                          fmt::format("wanted {} bytes from offset {}", file_size_, offset_));
    sha.update(buf.data(), got);
    pos += got;
  }
  return crypto::hex(sha.final_raw());
}

const std::string* Response::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

bool TransportError::retryable() const {
  if (cancelled_) return false;
  switch (static_cast<CURLcode>(curl_code_)) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      return true;
    default:
      return false;
  }
}

struct Client::Impl {
  EasyPtr easy;
  char error[CURL_ERROR_SIZE] = {};
};

Client::Client(ClientOptions options) : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  global_init();
  // Checked here, where the message can name the file; libcurl would only say "error setting
  // certificate verify locations" at the first request.
  if (!options_.ca_file.empty() && ::access(options_.ca_file.c_str(), R_OK) != 0)
    throw usage_error(fmt::format("cannot read the CA file {}", options_.ca_file), errno_text(errno),
                      "ca_file must name a readable PEM file with the CA certificate(s) that signed the "
                      "server's certificate.");
  impl_->easy.reset(curl_easy_init());
  if (!impl_->easy) throw runtime_error("libcurl could not create a handle");
}

Client::~Client() = default;

Response Client::perform(const Request& request) {
  const Url url = parse_url(request.url);
  require_allowed_endpoint(request.url, "an HTTP request");

  CURL* c = impl_->easy.get();
  curl_easy_reset(c);  // options only: the connection cache survives
  impl_->error[0] = '\0';

  Response response;
  Transfer t;
  t.body = &request.body;
  t.response = &response;
  t.cancel = options_.cancel;
  std::optional<Fd> fd;
  if (!request.body.path().empty()) {
    fd.emplace(open_body_file(request.body.path()));
    t.fd = fd->get();
    t.file_offset = request.body.file_offset();
  }

  set(c, CURLOPT_URL, request.url.c_str());
  set(c, CURLOPT_PROTOCOLS_STR, "http,https");
  set(c, CURLOPT_FOLLOWLOCATION, 0L);
  if (request.fresh_connection) set(c, CURLOPT_FRESH_CONNECT, 1L);
  set(c, CURLOPT_NOSIGNAL, 1L);
  set(c, CURLOPT_SSL_VERIFYPEER, 1L);
  set(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) set(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  set(c, CURLOPT_ERRORBUFFER, impl_->error);
  set(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  set(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  set(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
  if (options_.total_timeout.count() > 0)
    set(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count() * 1000));
  if (options_.accept_compressed) set(c, CURLOPT_ACCEPT_ENCODING, "");
  set(c, CURLOPT_WRITEFUNCTION, on_write);
  set(c, CURLOPT_WRITEDATA, &t);
  set(c, CURLOPT_HEADERFUNCTION, on_header);
  set(c, CURLOPT_HEADERDATA, &t);
  if (options_.cancel) {
    set(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    set(c, CURLOPT_XFERINFODATA, &t);
    set(c, CURLOPT_NOPROGRESS, 0L);
  }

  const curl_off_t size = static_cast<curl_off_t>(request.body.size());
  const bool has_body = request.method == "PUT" || request.method == "POST";
  if (has_body) {
    set(c, CURLOPT_READFUNCTION, on_read);
    set(c, CURLOPT_READDATA, &t);
    set(c, CURLOPT_SEEKFUNCTION, on_seek);
    set(c, CURLOPT_SEEKDATA, &t);
  }
  if (request.method == "GET") {
    set(c, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    set(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    set(c, CURLOPT_UPLOAD, 1L);
    set(c, CURLOPT_INFILESIZE_LARGE, size);  // Content-Length, never chunked
  } else if (request.method == "POST") {
    set(c, CURLOPT_POST, 1L);
    set(c, CURLOPT_POSTFIELDSIZE_LARGE, size);
  } else {
    if (!request.body.empty())
      throw usage_error(fmt::format("an HTTP {} request cannot carry a body here", request.method));
    set(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  SlistPtr headers;
  for (const auto& [name, value] : request.headers) {
    const std::string line = name + ": " + value;
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (!next) throw runtime_error("out of memory building HTTP headers");
    headers.release();
    headers.reset(next);
  }
  if (headers) set(c, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    const bool cancelled = rc == CURLE_ABORTED_BY_CALLBACK && options_.cancel &&
                           options_.cancel->cancelled();
    std::string message = impl_->error[0] ? impl_->error : curl_easy_strerror(rc);
    if (!t.read_error.empty()) message = t.read_error;
    if (cancelled) message = "cancelled";
    throw TransportError(rc, message, cancelled);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::optional<Error> tls_error(const TransportError& e, std::string_view server, std::string_view what,
                               const std::string& ca_file, std::string_view ca_setting) {
  switch (static_cast<CURLcode>(e.curl_code())) {
    case CURLE_PEER_FAILED_VERIFICATION:  // untrusted issuer, expired, or a name mismatch
    case CURLE_SSL_CACERT_BADFILE:        // the CA file is not PEM certificates
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
      break;
    default:
      return std::nullopt;
  }
  return runtime_error(
      fmt::format("could not verify the TLS certificate of {} ({})", server, what),
      fmt::format("{} (curl error {}); CA certificates from {}. Nothing was sent.", e.what(), e.curl_code(),
                  ca_file.empty() ? "the system's bundle" : ca_file),
      fmt::format("If the server's certificate comes from a private CA or a TLS-inspecting proxy, set {} to "
                  "that CA's certificate (PEM); otherwise check the host name and the server's certificate "
                  "chain. Verification is never switched off.",
                  ca_setting));
}

std::string curl_version() {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  return info && info->version ? info->version : "unknown";
}

}  // namespace sluice::http
