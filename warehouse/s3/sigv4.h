// AWS Signature Version 4, written once on OpenSSL (crypto/digest.h) and checked against AWS's
// published examples (tests/unit/sigv4_test.cpp). sluice signs S3 requests itself instead of
// using libcurl's CURLOPT_AWS_SIGV4, whose 7.88 version (Debian 12) signs the query string as sent
// (unsorted, valueless "?uploads"), hashes read-callback bodies as empty and signs "remove this
// header" entries: see docs/snowflake.md. The URL built here is sent byte for byte as signed.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::aws {

// AWS UriEncode: every byte except A-Z a-z 0-9 - _ . ~ as %XX (upper-case hex); '/' kept unless
// encode_slash. S3 object keys go into the path with encode_slash = false, query values with true.
std::string uri_encode(std::string_view s, bool encode_slash = true);

using Params = std::vector<std::pair<std::string, std::string>>;  // decoded name, value

// "a=1&b=&c=x%2Fy": names and values encoded, sorted by encoded name then value. A valueless
// parameter is written "name=" (what S3 canonicalizes "?uploads" to). The same string is used as
// the URL's query, so what is sent is what was signed.
std::string canonical_query(Params params);

// "YYYYMMDDTHHMMSSZ" of the time point (UTC).
std::string amz_date(std::chrono::system_clock::time_point when);

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary (STS) credentials
};

struct SigV4Request {
  std::string method;
  std::string canonical_uri;  // the encoded path, exactly as sent ("/bucket/key%20x")
  Params query;               // decoded
  // Every header to sign, host and x-amz-date included (name case does not matter).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-content-sha256;x-amz-date"
  std::string signature;       // hex
  std::string authorization;   // the Authorization header's value
};

// `date` is the request's x-amz-date ("20130524T000000Z"); its first 8 characters are the
// credential scope's date.
SigV4Signature sign_v4(const SigV4Request& request, const SigV4Credentials& credentials,
                       std::string_view region, std::string_view service, std::string_view date);

}  // namespace sluice::aws
