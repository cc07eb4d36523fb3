// Hashes and encodings the cloud clients share, on OpenSSL 3 (EVP): SHA-256 (one-shot and
// streaming), HMAC-SHA-256 (SigV4), MD5 (S3 ETags), hex, base64 and base64url (JWT).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace sluice::crypto {

// Raw 32-byte digest.
std::string sha256(std::string_view data);
std::string sha256_hex(std::string_view data);
std::string md5_hex(std::string_view data);
// Raw 16-byte MD5 (Content-MD5 is its base64).
std::string md5(std::string_view data);
// Raw 32-byte HMAC-SHA-256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Incremental SHA-256 (for file ranges).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  std::string final_raw();  // once

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string hex(std::string_view bytes);  // lower case
std::string base64(std::string_view bytes);     // standard alphabet, padded
std::string base64url(std::string_view bytes);  // URL-safe alphabet, no padding (RFC 7515)
// Decodes either alphabet, padded or not; throws std::invalid_argument on bad input.
std::string base64_decode(std::string_view text);

// The OpenSSL error queue as text ("" when empty), and clears it. For error details.
std::string openssl_errors();

}  // namespace sluice::crypto
