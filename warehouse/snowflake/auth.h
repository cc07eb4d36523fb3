// How the SQL API client signs in: a bearer token and its X-Snowflake-Authorization-Token-Type.
//
//  * Key pair (KEYPAIR_JWT): an RS256 JWT signed with the user's private key (PKCS#8 PEM, encrypted
//    or not; the passphrase comes from an environment variable). iss = ACCOUNT.USER.SHA256:<base64
//    of the SHA-256 of the public key's DER SubjectPublicKeyInfo>, sub = ACCOUNT.USER, iat = now,
//    exp = iat + lifetime (at most one hour). ACCOUNT is the account identifier upper-cased, cut at
//    the first '.' (region, cloud, privatelink). A token is reused until `renew_before` ahead of
//    its expiry, then a new one is signed; invalidate() (after a 401) forces a new one.
//  * OAuth (OAUTH) and programmatic access tokens (PROGRAMMATIC_ACCESS_TOKEN): read from an
//    environment variable or a file; the file is read again after a 401 (an external refresher
//    may have replaced it).
//
// Tokens are secrets: nothing here puts one in an error message.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/config_model.h"

namespace sluice::snowflake {

using Clock = std::function<std::chrono::system_clock::time_point()>;

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual std::string token() = 0;             // a token valid now
  virtual std::string token_type() const = 0;  // KEYPAIR_JWT | OAUTH | PROGRAMMATIC_ACCESS_TOKEN
  virtual void invalidate() = 0;               // the server refused the last token
  virtual std::string describe() const = 0;    // for errors: account, user, fingerprint; no secret
};

// "xy12345.us-east-1.aws" -> "XY12345"; "myorg-myaccount" -> "MYORG-MYACCOUNT";
// "myorg-myaccount.privatelink" -> "MYORG-MYACCOUNT"; a "<x>-<y>.global" host -> "<X>".
std::string jwt_account(std::string_view account_identifier);

struct KeyPairOptions {
  std::string account;  // as configured (identifier or locator form)
  std::string user;
  std::string private_key_file;
  std::string passphrase;  // empty for an unencrypted key
  std::chrono::seconds lifetime{59 * 60};
  std::chrono::seconds renew_before{5 * 60};
  Clock now = [] { return std::chrono::system_clock::now(); };
};

class KeyPairTokenSource final : public TokenSource {
 public:
  // Loads the key now: a missing file or a wrong passphrase fails here, before any request.
  explicit KeyPairTokenSource(KeyPairOptions options);
  ~KeyPairTokenSource() override;

  std::string token() override;
  std::string token_type() const override { return "KEYPAIR_JWT"; }
  void invalidate() override;
  std::string describe() const override;

  const std::string& fingerprint() const { return fingerprint_; }  // "SHA256:..."
  const std::string& issuer() const { return issuer_; }
  const std::string& subject() const { return subject_; }
  std::uint64_t tokens_minted() const { return minted_; }

 private:
  struct Key;
  KeyPairOptions options_;
  std::unique_ptr<Key> key_;
  std::string fingerprint_, issuer_, subject_;
  std::mutex mu_;
  std::string token_;
  std::chrono::system_clock::time_point expires_{};
  std::uint64_t minted_ = 0;
};

// OAuth access token or programmatic access token, from a variable or a file.
class StaticTokenSource final : public TokenSource {
 public:
  // type: "OAUTH" or "PROGRAMMATIC_ACCESS_TOKEN". Exactly one of env_name / file.
  StaticTokenSource(std::string type, std::string env_name, std::string file);
  std::string token() override;
  std::string token_type() const override { return type_; }
  void invalidate() override;
  std::string describe() const override;

 private:
  std::string load() const;
  std::string type_, env_name_, file_;
  std::mutex mu_;
  std::string token_;
};

// The token source the connection's auth config describes (reads the passphrase / token
// variables from the environment).
std::unique_ptr<TokenSource> make_token_source(const SnowflakeConnection& connection);

}  // namespace sluice::snowflake
