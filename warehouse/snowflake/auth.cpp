#include "warehouse/snowflake/auth.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "warehouse/crypto/digest.h"

namespace sluice::snowflake {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

int passphrase_cb(char* buf, int size, int, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  if (pass->empty() || static_cast<int>(pass->size()) > size) return -1;  // no (usable) passphrase
  std::memcpy(buf, pass->data(), pass->size());
  return static_cast<int>(pass->size());
}

std::int64_t epoch_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string jwt_account(std::string_view account) {
  std::string a = upper(account);
  if (const size_t g = a.find(".GLOBAL"); g != std::string::npos) {
    // Replication hosts "<account>-<hash>.global": the account is before the first '-'.
    const size_t dash = a.find('-');
    if (dash != std::string::npos && dash < g) return a.substr(0, dash);
  }
  if (const size_t dot = a.find('.'); dot != std::string::npos) a.resize(dot);
  return a;
}

struct KeyPairTokenSource::Key {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey;
};

KeyPairTokenSource::KeyPairTokenSource(KeyPairOptions options)
    : options_(std::move(options)), key_(std::make_unique<Key>()) {
  if (options_.lifetime > std::chrono::hours(1) || options_.lifetime.count() <= 0)
    throw usage_error("a Snowflake key-pair token lives at most one hour");
  std::ifstream in(options_.private_key_file, std::ios::binary);
  if (!in)
    throw usage_error(fmt::format("cannot read the Snowflake private key {}", options_.private_key_file),
                      std::strerror(errno),
                      "Check private_key_file in the connection's auth (a PKCS#8 PEM file, e.g. "
                      "rsa_key.p8).");
  std::stringstream pem;
  pem << in.rdbuf();
  const std::string text = pem.str();
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  key_->pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb, &options_.passphrase));
  if (!key_->pkey) {
    const std::string why = crypto::openssl_errors();
    const bool encrypted = text.find("ENCRYPTED") != std::string::npos;
    throw usage_error(
        fmt::format("cannot load the Snowflake private key {}", options_.private_key_file),
        encrypted ? (options_.passphrase.empty() ? "The key is encrypted and no passphrase was given."
                                                 : "The passphrase does not decrypt the key.")
                  : fmt::format("Not a PEM private key ({}).", why),
        encrypted ? "Export the key's passphrase in the variable named by passphrase_env."
                  : "Generate it with: openssl genrsa 2048 | openssl pkcs8 -topk8 -inform PEM "
                    "-out rsa_key.p8 -nocrypt");
  }
  if (EVP_PKEY_get_base_id(key_->pkey.get()) != EVP_PKEY_RSA)
    throw usage_error(fmt::format("the Snowflake private key {} is not an RSA key",
                                  options_.private_key_file),
                      {}, "Snowflake key-pair authentication uses RSA keys (2048 bits or more).");
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_->pkey.get(), &der);
  if (len <= 0) throw runtime_error("cannot encode the public key", crypto::openssl_errors());
  const std::string spki(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  fingerprint_ = "SHA256:" + crypto::base64(crypto::sha256(spki));
  subject_ = jwt_account(options_.account) + "." + upper(options_.user);
  issuer_ = subject_ + "." + fingerprint_;
}

KeyPairTokenSource::~KeyPairTokenSource() = default;

std::string KeyPairTokenSource::token() {
  std::lock_guard lock(mu_);
  const auto now = options_.now();
  if (!token_.empty() && now + options_.renew_before < expires_) return token_;
  const std::int64_t iat = epoch_seconds(now);
  const std::int64_t exp = iat + options_.lifetime.count();
  const std::string header = crypto::base64url(R"({"alg":"RS256","typ":"JWT"})");
  const std::string claims = crypto::base64url(
      nlohmann::json{{"iss", issuer_}, {"sub", subject_}, {"iat", iat}, {"exp", exp}}.dump());
  const std::string input = header + "." + claims;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    throw runtime_error("cannot sign the Snowflake JWT", crypto::openssl_errors());
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw runtime_error("cannot sign the Snowflake JWT", crypto::openssl_errors());
  sig.resize(sig_len);
  token_ = input + "." + crypto::base64url(sig);
  expires_ = std::chrono::system_clock::time_point(std::chrono::seconds(exp));
  ++minted_;
  return token_;
}

void KeyPairTokenSource::invalidate() {
  std::lock_guard lock(mu_);
  token_.clear();
}

std::string KeyPairTokenSource::describe() const {
  return fmt::format("key-pair JWT for {} (iss {})", subject_, issuer_);
}

StaticTokenSource::StaticTokenSource(std::string type, std::string env_name, std::string file)
    : type_(std::move(type)), env_name_(std::move(env_name)), file_(std::move(file)) {
  token_ = load();
}

std::string StaticTokenSource::load() const {
  const std::string what = type_ == "OAUTH" ? "OAuth access token" : "programmatic access token";
  if (!env_name_.empty()) {
    const char* v = std::getenv(env_name_.c_str());
    if (!v || !*v)
      throw usage_error(fmt::format("no Snowflake {}: {} is not set", what, env_name_), {},
                        fmt::format("Export the token in {}.", env_name_));
    return v;
  }
  std::ifstream in(file_);
  if (!in)
    throw usage_error(fmt::format("cannot read the Snowflake {} file {}", what, file_),
                      std::strerror(errno), "Check token_file in the connection's auth.");
  std::stringstream s;
  s << in.rdbuf();
  std::string token = s.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(0, 1);
  if (token.empty()) throw usage_error(fmt::format("the Snowflake {} file {} is empty", what, file_));
  return token;
}

std::string StaticTokenSource::token() {
  std::lock_guard lock(mu_);
  return token_;
}

void StaticTokenSource::invalidate() {
  std::lock_guard lock(mu_);
  try {
    token_ = load();
  } catch (const Error&) {
    // keep the old one; the next request fails with the server's answer
  }
}

std::string StaticTokenSource::describe() const {
  return fmt::format("{} from {}", type_ == "OAUTH" ? "OAuth access token" : "programmatic access token",
                     env_name_.empty() ? file_ : "$" + env_name_);
}

std::unique_ptr<TokenSource> make_token_source(const SnowflakeConnection& c) {
  if (c.auth.method == "oauth" || c.auth.method == "pat")
    return std::make_unique<StaticTokenSource>(
        c.auth.method == "oauth" ? "OAUTH" : "PROGRAMMATIC_ACCESS_TOKEN", c.auth.token_env,
        c.auth.token_file);
  KeyPairOptions o;
  o.account = c.account;
  o.user = c.user;
  o.private_key_file = c.auth.private_key_file;
  if (!c.auth.passphrase_env.empty()) {
    const char* v = std::getenv(c.auth.passphrase_env.c_str());
    if (v) o.passphrase = v;
  }
  return std::make_unique<KeyPairTokenSource>(std::move(o));
}

}  // namespace sluice::snowflake
