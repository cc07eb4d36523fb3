#include "warehouse/s3/s3_client.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "warehouse/crypto/digest.h"
#include "warehouse/http/url.h"
#include "warehouse/s3/s3_xml.h"

namespace sluice::s3 {
namespace {

constexpr std::uint64_t kMinPart = 5ull << 20;
constexpr std::uint64_t kMaxPart = 5ull << 30;
constexpr int kMaxParts = 10000;
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

bool dns_compatible_without_dots(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-'))
      return false;
  return bucket.front() != '-' && bucket.back() != '-';
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::uint64_t to_u64(const std::optional<std::string>& s) {
  if (!s || s->empty()) return 0;
  return std::stoull(*s);
}

// Codes S3 uses for "try again": throttling, internal errors, a slow request body.
bool retryable_code(std::string_view code) {
  return code == "SlowDown" || code == "InternalError" || code == "RequestTimeout" ||
         code == "ServiceUnavailable" || code == "Throttling" || code == "ThrottlingException" ||
         code == "OperationAborted";
}

bool retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::string hint_for(std::string_view code, const S3Settings& s, std::string_view region_hint) {
  if (code == "SignatureDoesNotMatch")
    return "The secret access key does not belong to the access key id. Check "
           "AWS_SECRET_ACCESS_KEY (or the variable the stage's secret_access_key_env names).";
  if (code == "InvalidAccessKeyId")
    return "S3 does not know this access key id, or temporary credentials were sent without "
           "their session token. Check AWS_ACCESS_KEY_ID and AWS_SESSION_TOKEN.";
  if (code == "InvalidToken" || code == "ExpiredToken" || code == "TokenRefreshRequired")
    return "The session token is invalid or has expired: get fresh temporary credentials "
           "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).";
  if (code == "AccessDenied")
    return fmt::format("The credentials are valid but may not do this on bucket {}. The IAM "
                       "policy needs s3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject "
                       "and s3:AbortMultipartUpload on the stage prefix.",
                       s.bucket);
  if (code == "NoSuchBucket") return "Check the bucket name in the stage url.";
  if (code == "AuthorizationHeaderMalformed" && !region_hint.empty())
    return fmt::format("The bucket is in region {}: set the stage's region to it.", region_hint);
  if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed")
    return "The stage's region or endpoint does not match the bucket's region.";
  if (code == "RequestTimeTooSkewed")
    return "This machine's clock is more than 15 minutes off: correct it (NTP).";
  if (code == "EntityTooSmall" || code == "EntityTooLarge")
    return "The part size is outside S3's limits (5 MiB to 5 GiB).";
  return {};
}

}  // namespace

S3Url S3Url::parse(std::string_view url) {
  if (url.size() <= 5 || url.substr(0, 5) != "s3://")
    throw usage_error(fmt::format("\"{}\" is not an s3:// URL", url),
                      "Expected s3://bucket/prefix/.");
  std::string_view rest = url.substr(5);
  const size_t slash = rest.find('/');
  S3Url out;
  out.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.prefix = std::string(rest.substr(slash + 1));
  if (out.bucket.empty()) throw usage_error(fmt::format("no bucket in \"{}\"", url));
  if (!out.prefix.empty() && out.prefix.back() != '/') out.prefix += '/';
  return out;
}

struct S3Client::Call {
  std::string operation;
  std::string method;
  std::string key;  // "" for bucket-level requests
  aws::Params query;
  http::Headers headers;  // extra headers, all signed
  const http::Body* body = nullptr;
  std::string payload_hash;
  // An answer that is not 2xx but counts as success (e.g. NoSuchUpload for an abort).
  std::function<bool(const http::Response&, int attempt)> accept;
  bool error_in_200 = false;  // CompleteMultipartUpload: a 200 can carry <Error>
};

S3Client::S3Client(S3Settings settings) : settings_(std::move(settings)) {
  if (settings_.bucket.empty()) throw usage_error("the S3 stage has no bucket");
  if (settings_.region.empty())
    throw usage_error("the S3 stage has no region",
                      "Every S3 signature names the bucket's region.",
                      "Set the stage's region (e.g. region: eu-west-1), or AWS_REGION.");
  if (settings_.credentials.access_key_id.empty() || settings_.credentials.secret_access_key.empty())
    throw usage_error("no S3 credentials for the stage",
                      "An access key id and a secret access key are needed.",
                      "Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN "
                      "for temporary credentials).");
  if (settings_.part_size < kMinPart || settings_.part_size > kMaxPart)
    throw usage_error(fmt::format("S3 part size {} is outside 5 MiB .. 5 GiB", settings_.part_size));
  settings_.parallel_parts = std::max(1, settings_.parallel_parts);
  settings_.retry.max_attempts = std::max(1, settings_.retry.max_attempts);
  const std::string endpoint = settings_.endpoint.empty()
                                   ? fmt::format("https://s3.{}.amazonaws.com", settings_.region)
                                   : settings_.endpoint;
  http::require_allowed_endpoint(endpoint, "the S3 stage endpoint");
  endpoint_ = http::parse_url(endpoint);
  if (endpoint_.path != "/" || !endpoint_.query.empty())
    throw usage_error(fmt::format("the S3 endpoint \"{}\" must not have a path", endpoint),
                      {}, "Write scheme://host[:port] only.");
  switch (settings_.addressing) {
    case Addressing::path: virtual_hosted_ = false; break;
    case Addressing::virtual_hosted: virtual_hosted_ = true; break;
    case Addressing::automatic:
      virtual_hosted_ = settings_.endpoint.empty() && dns_compatible_without_dots(settings_.bucket);
      break;
  }
}

S3Client::~S3Client() = default;

std::string S3Client::bucket_base_url() const {
  if (virtual_hosted_) {
    http::Url u = endpoint_;
    u.host = settings_.bucket + "." + u.host;
    return u.origin();
  }
  return endpoint_.origin() + "/" + settings_.bucket;
}

std::unique_ptr<http::Client> S3Client::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto c = std::move(pool_.back());
      pool_.pop_back();
      return c;
    }
  }
  http::ClientOptions options = settings_.http;
  options.accept_compressed = false;
  return std::make_unique<http::Client>(options);
}

void S3Client::release(std::unique_ptr<http::Client> client) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(client));
}

http::Response S3Client::send_once(const Call& call, http::Client& client) {
  http::Url target = endpoint_;
  std::string path;
  if (virtual_hosted_) {
    target.host = settings_.bucket + "." + target.host;
    path = "/" + aws::uri_encode(call.key, false);
  } else {
    path = "/" + settings_.bucket;
    if (!call.key.empty()) path += "/" + aws::uri_encode(call.key, false);
  }
  const std::string query = aws::canonical_query(call.query);
  http::Request request;
  request.method = call.method;
  request.url = target.origin() + path + (query.empty() ? "" : "?" + query);

  aws::SigV4Request sig_request;
  sig_request.method = call.method;
  sig_request.canonical_uri = path;
  sig_request.query = call.query;
  sig_request.payload_hash = call.payload_hash;
  const std::string date = aws::amz_date(std::chrono::system_clock::now());
  sig_request.headers = {{"host", target.authority()},
                         {"x-amz-date", date},
                         {"x-amz-content-sha256", call.payload_hash}};
  if (!settings_.credentials.session_token.empty())
    sig_request.headers.emplace_back("x-amz-security-token", settings_.credentials.session_token);
  for (const auto& h : call.headers) sig_request.headers.push_back(h);
  const aws::SigV4Signature sig =
      aws::sign_v4(sig_request, settings_.credentials, settings_.region, "s3", date);

  request.headers = {{"Host", target.authority()}};
  for (const auto& h : sig_request.headers)
    if (h.first != "host") request.headers.push_back(h);
  request.headers.emplace_back("Authorization", sig.authorization);
  if (call.body) request.body = *call.body;
  ++requests_;
  return client.perform(request);
}

http::Response S3Client::call(const Call& call) {
  const Cancellation* cancel = settings_.http.cancel;
  auto cancelled = [&] {
    return runtime_error("cancelled", fmt::format("S3 {} of {} was interrupted", call.operation,
                                                  S3Url{settings_.bucket, ""}.url_of(call.key)),
                         "Run the command again; finished uploads are not repeated.");
  };
  for (int attempt = 1;; ++attempt) {
    if (cancel && cancel->cancelled()) throw cancelled();
    std::string reason;
    std::optional<std::chrono::seconds> retry_after;
    std::unique_ptr<http::Client> client = acquire();
    http::Response response;
    try {
      response = send_once(call, *client);
      release(std::move(client));
    } catch (const http::TransportError& e) {
      release(std::move(client));
      if (e.cancelled()) throw cancelled();
      http::Url server = endpoint_;
      if (virtual_hosted_) server.host = settings_.bucket + "." + server.host;
      if (auto tls = http::tls_error(e, server.origin(), "the S3 stage endpoint", settings_.http.ca_file,
                                     "ca_file in the stage entry (or AWS_CA_BUNDLE)"))
        throw *tls;
      if (!e.retryable() || attempt >= settings_.retry.max_attempts)
        throw runtime_error(
            fmt::format("S3 {} of {} failed: no answer from {}", call.operation,
                        S3Url{settings_.bucket, ""}.url_of(call.key), endpoint_.origin()),
            fmt::format("{} (after {} attempt{})", e.what(), attempt, attempt == 1 ? "" : "s"),
            "Check the network, a proxy, or the stage endpoint.");
      reason = fmt::format("network: {}", e.what());
    }
    if (reason.empty()) {
      bool ok = response.status / 100 == 2;
      std::string code;
      if (ok && call.error_in_200 && xml::root_name(response.body) == "Error") {
        ok = false;
        code = xml::text(response.body, "Code").value_or("");
      }
      if (ok) return response;
      if (call.accept && call.accept(response, attempt)) return response;
      if (code.empty()) code = xml::text(response.body, "Code").value_or("");
      const bool retryable = retryable_status(response.status) || retryable_code(code);
      if (!retryable || attempt >= settings_.retry.max_attempts) fail(call, response, attempt);
      reason = fmt::format("HTTP {} {}", response.status, code);
      retry_after = http::parse_retry_after(response.header("retry-after"));
    }
    const auto wait = settings_.retry.backoff(attempt, retry_after);
    ++retries_;
    if (settings_.on_retry)
      settings_.on_retry(RetryEvent{call.operation, call.key, attempt, reason, wait});
    if (!http::sleep_unless_cancelled(wait, cancel)) throw cancelled();
  }
}

void S3Client::fail(const Call& call, const http::Response& response, int attempts) const {
  const std::string code = xml::text(response.body, "Code").value_or("");
  const std::string message = xml::text(response.body, "Message").value_or("");
  const std::string request_id = xml::text(response.body, "RequestId")
                                     .value_or(response.header("x-amz-request-id")
                                                   ? *response.header("x-amz-request-id")
                                                   : "");
  const std::string region_hint = xml::text(response.body, "Region").value_or("");
  std::string detail = fmt::format("HTTP {}", response.status);
  if (!code.empty()) detail += " " + code;
  if (!message.empty()) detail += ": " + message;
  if (detail.ends_with('.')) detail.pop_back();
  if (code == "AccessDenied") {
    if (auto unsigned_headers = xml::text(response.body, "HeadersNotSigned"))
      detail += fmt::format(" (headers not signed: {})", *unsigned_headers);
  }
  detail += fmt::format(". Endpoint {}, region {}, access key id {}", endpoint_.origin(),
                        settings_.region, settings_.credentials.access_key_id);
  if (!request_id.empty()) detail += ", request id " + request_id;
  if (attempts > 1) detail += fmt::format(", after {} attempts", attempts);
  detail += ".";
  throw runtime_error(fmt::format("S3 {} of {} failed", call.operation,
                                  S3Url{settings_.bucket, ""}.url_of(call.key)),
                      detail, hint_for(code, settings_, region_hint));
}

ObjectInfo S3Client::put_object(const std::string& key, const http::Body& body,
                                std::string_view content_type) {
  if (body.size() > kMaxPart)
    throw usage_error(fmt::format("{} bytes is more than one S3 PutObject takes (5 GiB)", body.size()),
                      {}, "Use upload_file, which switches to a multipart upload.");
  Call c{"PutObject", "PUT", key, {}, {{"content-type", std::string(content_type)}}, &body,
         settings_.sign_payload ? body.sha256_hex() : "UNSIGNED-PAYLOAD", nullptr, false};
  const http::Response r = call(c);
  const std::string* etag = r.header("etag");
  return ObjectInfo{key, body.size(), etag ? *etag : "", ""};
}

std::string S3Client::create_multipart_upload(const std::string& key, std::string_view content_type) {
  const http::Body empty;
  Call c{"CreateMultipartUpload", "POST", key, {{"uploads", ""}},
         {{"content-type", std::string(content_type)}}, &empty, kEmptySha256, nullptr, false};
  const http::Response r = call(c);
  auto id = xml::text(r.body, "UploadId");
  if (!id || id->empty())
    throw runtime_error(fmt::format("S3 CreateMultipartUpload of {} answered without an UploadId",
                                    S3Url{settings_.bucket, ""}.url_of(key)));
  return *id;
}

PartInfo S3Client::upload_part(const std::string& key, const std::string& upload_id, int number,
                               const http::Body& body) {
  Call c{"UploadPart", "PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}},
         {}, &body, settings_.sign_payload ? body.sha256_hex() : "UNSIGNED-PAYLOAD", nullptr, false};
  const http::Response r = call(c);
  const std::string* etag = r.header("etag");
  if (!etag || etag->empty())
    throw runtime_error(fmt::format("S3 UploadPart {} of {} answered without an ETag", number,
                                    S3Url{settings_.bucket, ""}.url_of(key)));
  return PartInfo{number, *etag, body.size()};
}

ObjectInfo S3Client::complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                               const std::vector<PartInfo>& parts) {
  std::string doc = "<CompleteMultipartUpload>";
  std::uint64_t size = 0;
  for (const PartInfo& p : parts) {
    doc += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", p.number,
                       xml::escape(p.etag));
    size += p.size;
  }
  doc += "</CompleteMultipartUpload>";
  const http::Body body = http::Body::memory(doc);
  // The multipart ETag S3 gives the object: MD5 of the parts' binary MD5s, "-<parts>".
  std::string expected_etag;
  {
    std::string md5s;
    for (const PartInfo& p : parts) {
      const std::string hex = p.etag.size() == 34 ? p.etag.substr(1, 32) : std::string();
      for (size_t i = 0; i + 1 < hex.size(); i += 2) md5s += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    if (md5s.size() == parts.size() * 16)
      expected_etag = fmt::format("\"{}-{}\"", crypto::md5_hex(md5s), parts.size());
  }
  std::optional<ObjectInfo> done_before;
  // When an earlier attempt completed the upload but its answer was lost, the repeat finds no
  // upload: the object is there, with the ETag this upload gives it. (The repeat may be ours, or
  // libcurl's own: it re-sends a request once, silently, when a reused connection answers
  // nothing.)
  auto accept = [&](const http::Response& r, int) {
    if (r.status != 404 || xml::text(r.body, "Code") != "NoSuchUpload") return false;
    auto head = head_object(key);
    if (!head || head->size != size) return false;
    if (expected_etag.empty() ? !head->etag.ends_with(fmt::format("-{}\"", parts.size()))
                              : head->etag != expected_etag)
      return false;
    done_before = head;
    return true;
  };
  Call c{"CompleteMultipartUpload", "POST", key, {{"uploadId", upload_id}},
         {{"content-type", "application/xml"}}, &body, crypto::sha256_hex(doc), accept, true};
  const http::Response r = call(c);
  if (done_before) return *done_before;
  return ObjectInfo{key, size, xml::text(r.body, "ETag").value_or(""), ""};
}

void S3Client::abort_multipart_upload(const std::string& key, const std::string& upload_id) {
  const http::Body empty;
  auto gone = [](const http::Response& r, int) {
    return r.status == 404 && xml::text(r.body, "Code") == "NoSuchUpload";
  };
  call(Call{"AbortMultipartUpload", "DELETE", key, {{"uploadId", upload_id}}, {}, nullptr,
            kEmptySha256, gone, false});
}

std::vector<UploadInfo> S3Client::list_multipart_uploads(const std::string& prefix) {
  std::vector<UploadInfo> out;
  std::string key_marker, id_marker;
  while (true) {
    aws::Params q{{"uploads", ""}, {"prefix", prefix}};
    if (!key_marker.empty()) {
      q.emplace_back("key-marker", key_marker);
      q.emplace_back("upload-id-marker", id_marker);
    }
    const http::Response r =
        call(Call{"ListMultipartUploads", "GET", "", q, {}, nullptr, kEmptySha256, nullptr, false});
    for (std::string_view u : xml::elements(r.body, "Upload"))
      out.push_back({xml::text(u, "Key").value_or(""), xml::text(u, "UploadId").value_or(""),
                     xml::text(u, "Initiated").value_or("")});
    if (xml::text(r.body, "IsTruncated") != "true") break;
    key_marker = xml::text(r.body, "NextKeyMarker").value_or("");
    id_marker = xml::text(r.body, "NextUploadIdMarker").value_or("");
    if (key_marker.empty()) break;
  }
  return out;
}

int S3Client::abort_multipart_uploads(const std::string& prefix) {
  int n = 0;
  for (const UploadInfo& u : list_multipart_uploads(prefix)) {
    abort_multipart_upload(u.key, u.upload_id);
    ++n;
  }
  return n;
}

std::vector<PartInfo> S3Client::list_parts(const std::string& key, const std::string& upload_id) {
  std::vector<PartInfo> out;
  std::string marker;
  while (true) {
    aws::Params q{{"uploadId", upload_id}};
    if (!marker.empty()) q.emplace_back("part-number-marker", marker);
    const http::Response r =
        call(Call{"ListParts", "GET", key, q, {}, nullptr, kEmptySha256, nullptr, false});
    for (std::string_view p : xml::elements(r.body, "Part"))
      out.push_back({static_cast<int>(to_u64(xml::text(p, "PartNumber"))),
                     xml::text(p, "ETag").value_or(""), to_u64(xml::text(p, "Size"))});
    if (xml::text(r.body, "IsTruncated") != "true") break;
    marker = xml::text(r.body, "NextPartNumberMarker").value_or("");
    if (marker.empty()) break;
  }
  return out;
}

std::vector<ObjectInfo> S3Client::list_objects(const std::string& prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  while (true) {
    aws::Params q{{"list-type", "2"}, {"prefix", prefix}, {"encoding-type", "url"}};
    if (!token.empty()) q.emplace_back("continuation-token", token);
    const http::Response r =
        call(Call{"ListObjectsV2", "GET", "", q, {}, nullptr, kEmptySha256, nullptr, false});
    const bool url_encoded = xml::text(r.body, "EncodingType") == "url";
    for (std::string_view o : xml::elements(r.body, "Contents")) {
      std::string key = xml::text(o, "Key").value_or("");
      if (url_encoded) key = url_decode(key);
      out.push_back({std::move(key), to_u64(xml::text(o, "Size")), xml::text(o, "ETag").value_or(""),
                     xml::text(o, "LastModified").value_or("")});
    }
    if (xml::text(r.body, "IsTruncated") != "true") break;
    token = xml::text(r.body, "NextContinuationToken").value_or("");
    if (token.empty()) break;
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

std::optional<ObjectInfo> S3Client::head_object(const std::string& key) {
  auto missing = [](const http::Response& r, int) { return r.status == 404; };
  const http::Response r =
      call(Call{"HeadObject", "HEAD", key, {}, {}, nullptr, kEmptySha256, missing, false});
  if (r.status == 404) return std::nullopt;
  const std::string* length = r.header("content-length");
  const std::string* etag = r.header("etag");
  const std::string* modified = r.header("last-modified");
  return ObjectInfo{key, length ? std::stoull(*length) : 0, etag ? *etag : "",
                    modified ? *modified : ""};
}

std::string S3Client::get_object_range(const std::string& key, std::uint64_t offset, std::uint64_t size) {
  if (size == 0) return {};
  // S3 answers a range that starts past the end with 416 InvalidRange: nothing more to read.
  auto past_end = [](const http::Response& r, int) { return r.status == 416; };
  const http::Response r =
      call(Call{"GetObject", "GET", key, {}, {{"range", fmt::format("bytes={}-{}", offset, offset + size - 1)}}, nullptr,
                kEmptySha256, past_end, false});
  if (r.status == 416) return {};
  if (r.status == 200 && offset > 0)  // a server that ignored Range sent the whole object
    return r.body.size() > offset ? r.body.substr(offset, size) : std::string();
  return r.body.size() > size ? r.body.substr(0, size) : r.body;
}

void S3Client::delete_object(const std::string& key) {
  call(Call{"DeleteObject", "DELETE", key, {}, {}, nullptr, kEmptySha256, nullptr, false});
}

std::size_t S3Client::delete_prefix(const std::string& prefix) {
  std::vector<std::string> keys;
  for (const auto& o : list_objects(prefix)) keys.push_back(o.key);
  if (!keys.empty()) delete_objects(keys);
  return keys.size();
}

void S3Client::delete_objects(const std::vector<std::string>& keys) {
  constexpr std::size_t kMaxKeys = 1000;  // per request, S3's limit
  for (std::size_t from = 0; from < keys.size(); from += kMaxKeys) {
    std::string doc = "<Delete><Quiet>true</Quiet>";
    for (std::size_t i = from; i < std::min(keys.size(), from + kMaxKeys); ++i)
      doc += "<Object><Key>" + xml::escape(keys[i]) + "</Key></Object>";
    doc += "</Delete>";
    const http::Body body = http::Body::memory(doc);
    // S3 requires a checksum of the body for DeleteObjects; Content-MD5 is the one every S3
    // implementation takes.
    const http::Response r = call(Call{"DeleteObjects", "POST", "", {{"delete", ""}},
                                       {{"content-type", "application/xml"},
                                        {"content-md5", crypto::base64(crypto::md5(doc))}},
                                       &body, crypto::sha256_hex(doc), nullptr, false});
    std::string failed;
    int count = 0;
    for (std::string_view e : xml::elements(r.body, "Error")) {
      if (++count <= 3)
        failed += fmt::format("\n{}: {} {}", S3Url{settings_.bucket, ""}.url_of(xml::text(e, "Key").value_or("?")),
                              xml::text(e, "Code").value_or(""), xml::text(e, "Message").value_or(""));
    }
    if (count)
      throw runtime_error(fmt::format("S3 could not delete {} of {} object(s)", count, std::min(kMaxKeys, keys.size() - from)),
                          failed + (count > 3 ? fmt::format("\n... and {} more", count - 3) : ""),
                          "Check that the stage's credentials may delete (s3:DeleteObject), then run `sluice "
                          "stage clean`.");
  }
}

ObjectInfo S3Client::upload_file(const std::string& key, const std::filesystem::path& file,
                                 std::string_view content_type) {
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(file, ec);
  if (ec)
    throw runtime_error(fmt::format("cannot upload {}", file.string()), ec.message());
  if (size <= settings_.multipart_threshold && size <= kMaxPart)
    return put_object(key, http::Body::file_range(file, 0, size), content_type);

  std::uint64_t part_size = settings_.part_size;
  if ((size + part_size - 1) / part_size > static_cast<std::uint64_t>(kMaxParts)) {
    part_size = ((size + kMaxParts - 1) / kMaxParts + (1 << 20) - 1) & ~std::uint64_t((1 << 20) - 1);
  }
  const int parts = static_cast<int>((size + part_size - 1) / part_size);
  const std::string upload_id = create_multipart_upload(key, content_type);

  std::vector<PartInfo> done(static_cast<size_t>(parts));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mu;
  auto worker = [&] {
    while (!failed.load()) {
      const int index = next.fetch_add(1);
      if (index >= parts) return;
      const std::uint64_t offset = static_cast<std::uint64_t>(index) * part_size;
      const std::uint64_t length = std::min(part_size, size - offset);
      try {
        done[static_cast<size_t>(index)] =
            upload_part(key, upload_id, index + 1, http::Body::file_range(file, offset, length));
      } catch (...) {
        std::lock_guard lock(error_mu);
        if (!first_error) first_error = std::current_exception();
        failed.store(true);
        return;
      }
    }
  };
  const int threads = std::min(settings_.parallel_parts, parts);
  {
    std::vector<std::jthread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
    worker();
  }
  try {
    if (first_error) std::rethrow_exception(first_error);
    return complete_multipart_upload(key, upload_id, done);
  } catch (...) {
    // Leave nothing half-uploaded behind (parts of an unfinished upload are billed and invisible).
    // The abort must not be cancelled by the same Ctrl-C that may have caused the failure.
    try {
      S3Settings quiet = settings_;
      quiet.http.cancel = nullptr;
      quiet.on_retry = nullptr;
      S3Client(quiet).abort_multipart_upload(key, upload_id);
    } catch (...) {
      // the original error matters more; a lifecycle rule or the next run cleans up
    }
    throw;
  }
}

}  // namespace sluice::s3
