// The S3 client behind the Snowflake external stage: uploads the .zst chunk parts a load produces
// (PutObject, or multipart with parts uploaded in parallel), lists, checks and deletes staged
// objects, aborts unfinished multipart uploads. Every request is signed with SigV4 (sigv4.h),
// sent over http::Client (https verified; http only to loopback) and retried with jittered
// backoff on network errors, 5xx, 429 and S3's SlowDown / InternalError / RequestTimeout, also
// when CompleteMultipartUpload answers 200 with an <Error> body. Requests that may have run
// before their answer was lost are made safe to repeat (Complete and Abort recognise their own
// earlier success).
//
// Failures are sluice::Error (runtime): primary = which operation on which s3:// URL, detail = the
// HTTP status, S3's code and message, request id, endpoint and access key id, hint = what to check.
// Secrets (secret key, session token) never appear in errors, and neither does S3's echo of the
// canonical request (which contains the session token).
//
// Thread-safe: the parallel part uploads of one file, and the uploads of several files, share one
// S3Client; it keeps a pool of HTTP connections.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.h"
#include "warehouse/http/http_client.h"
#include "warehouse/http/retry.h"
#include "warehouse/http/url.h"
#include "warehouse/s3/sigv4.h"

namespace sluice::s3 {

// "s3://bucket/prefix/": the stage's location.
struct S3Url {
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  // Throws a usage Error for anything but s3://bucket[/prefix].
  static S3Url parse(std::string_view url);
  std::string key(std::string_view name) const { return prefix + std::string(name); }
  std::string url_of(std::string_view key) const { return "s3://" + bucket + "/" + std::string(key); }
};

enum class Addressing {
  automatic,       // virtual-hosted on AWS for DNS-compatible names without dots; else path-style
  path,            // https://endpoint/bucket/key
  virtual_hosted,  // https://bucket.endpoint/key
};

struct RetryEvent {
  std::string operation;  // "UploadPart"
  std::string key;
  int attempt = 0;        // the attempt that failed (1-based)
  std::string reason;     // "HTTP 503 SlowDown" / "network: Connection reset by peer"
  std::chrono::milliseconds wait{0};
};

struct S3Settings {
  std::string bucket;
  std::string region;            // required: it is part of every signature
  std::string endpoint;          // "" = https://s3.<region>.amazonaws.com; else https (or loopback http)
  Addressing addressing = Addressing::automatic;
  aws::SigV4Credentials credentials;
  // true: x-amz-content-sha256 is the body's SHA-256, which S3 verifies (end-to-end integrity,
  // one extra read of each part, from the page cache). false: UNSIGNED-PAYLOAD (TLS only).
  bool sign_payload = true;
  std::uint64_t part_size = 64ull << 20;            // multipart part size (5 MiB .. 5 GiB)
  std::uint64_t multipart_threshold = 64ull << 20;  // files above this go multipart
  int parallel_parts = 4;                           // parts of one file in flight at once
  http::RetryPolicy retry;
  http::ClientOptions http;                         // user agent, timeouts, cancellation
  std::function<void(const RetryEvent&)> on_retry;  // e.g. a log line; called from any thread
};

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // with its quotes, as S3 gives it
  std::string last_modified;
};

struct PartInfo {
  int number = 0;
  std::string etag;
  std::uint64_t size = 0;
};

struct UploadInfo {
  std::string key;
  std::string upload_id;
  std::string initiated;
};

class S3Client {
 public:
  explicit S3Client(S3Settings settings);
  ~S3Client();

  // PutObject of a whole body (≤ 5 GB).
  ObjectInfo put_object(const std::string& key, const http::Body& body,
                        std::string_view content_type = "application/octet-stream");
  // The file at `key`: PutObject up to multipart_threshold, else a multipart upload with
  // parallel_parts parts in flight; a failed or cancelled multipart upload is aborted.
  ObjectInfo upload_file(const std::string& key, const std::filesystem::path& file,
                         std::string_view content_type = "application/octet-stream");

  std::string create_multipart_upload(const std::string& key,
                                      std::string_view content_type = "application/octet-stream");
  PartInfo upload_part(const std::string& key, const std::string& upload_id, int number,
                       const http::Body& body);
  // Parts in ascending order. Handles the 200-with-<Error> answer (retried).
  ObjectInfo complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                       const std::vector<PartInfo>& parts);
  void abort_multipart_upload(const std::string& key, const std::string& upload_id);
  std::vector<UploadInfo> list_multipart_uploads(const std::string& prefix);
  // Aborts every unfinished multipart upload under `prefix`; returns how many.
  int abort_multipart_uploads(const std::string& prefix);
  std::vector<PartInfo> list_parts(const std::string& key, const std::string& upload_id);

  // Every object under `prefix` (all pages of ListObjectsV2), sorted by key.
  std::vector<ObjectInfo> list_objects(const std::string& prefix);
  std::optional<ObjectInfo> head_object(const std::string& key);
  // GetObject of the bytes [offset, offset + size) (a Range request, retried like any other): an
  // object is read piece by piece, so a reader holds one piece at a time however large it is.
  // Fewer bytes at the object's end; none past it.
  std::string get_object_range(const std::string& key, std::uint64_t offset, std::uint64_t size);
  void delete_object(const std::string& key);
  // DeleteObjects: up to 1000 keys a request (quiet mode), so removing a big load's parts takes a
  // request per thousand parts instead of one each. A key S3 could not delete fails the call,
  // naming it; a key that is not there counts as deleted (as with DeleteObject).
  void delete_objects(const std::vector<std::string>& keys);
  // Every object under `prefix` (ListObjectsV2, then DeleteObjects); returns how many.
  std::size_t delete_prefix(const std::string& prefix);

  const S3Settings& settings() const { return settings_; }
  // "https://bucket.s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:9000/bucket"
  std::string bucket_base_url() const;
  std::uint64_t requests_sent() const { return requests_.load(); }
  std::uint64_t retries() const { return retries_.load(); }

 private:
  struct Call;
  http::Response call(const Call& call);
  http::Response send_once(const Call& call, http::Client& client);
  [[noreturn]] void fail(const Call& call, const http::Response& response, int attempts) const;
  std::unique_ptr<http::Client> acquire();
  void release(std::unique_ptr<http::Client> client);

  S3Settings settings_;
  http::Url endpoint_;
  bool virtual_hosted_ = false;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<http::Client>> pool_;
  std::atomic<std::uint64_t> requests_{0}, retries_{0};
};

}  // namespace sluice::s3
