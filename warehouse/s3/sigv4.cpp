#include "warehouse/s3/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "core/text_format.h"
#include "warehouse/crypto/digest.h"

namespace sluice::aws {
namespace {

// Trim, and collapse runs of spaces into one (SigV4's Trimall).
std::string trim_all(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string uri_encode(std::string_view s, bool encode_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string canonical_query(Params params) {
  for (auto& [name, value] : params) {
    name = uri_encode(name);
    value = uri_encode(value);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SigV4Signature sign_v4(const SigV4Request& request, const SigV4Credentials& credentials,
                       std::string_view region, std::string_view service, std::string_view date) {
  // Canonical headers: lower-case names, sorted, repeated names joined with ','.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    std::string& slot = headers[ascii_lower(name)];
    if (!slot.empty()) slot += ',';
    slot += trim_all(value);
  }
  std::string canonical_headers, signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ':' + value + '\n';
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += name;
  }

  SigV4Signature sig;
  sig.signed_headers = signed_headers;
  sig.canonical_request = fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method,
                                      request.canonical_uri, canonical_query(request.query),
                                      canonical_headers, signed_headers, request.payload_hash);
  const std::string day(date.substr(0, 8));
  const std::string scope = fmt::format("{}/{}/{}/aws4_request", day, region, service);
  sig.string_to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", date, scope,
                                   crypto::sha256_hex(sig.canonical_request));
  const std::string k_date = crypto::hmac_sha256("AWS4" + credentials.secret_access_key, day);
  const std::string k_region = crypto::hmac_sha256(k_date, region);
  const std::string k_service = crypto::hmac_sha256(k_region, service);
  const std::string k_signing = crypto::hmac_sha256(k_service, "aws4_request");
  sig.signature = crypto::hex(crypto::hmac_sha256(k_signing, sig.string_to_sign));
  sig.authorization =
      fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}",
                  credentials.access_key_id, scope, signed_headers, sig.signature);
  return sig;
}

}  // namespace sluice::aws
