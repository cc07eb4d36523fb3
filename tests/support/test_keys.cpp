#include "tests/support/test_keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>

namespace sluice::test {

TestKeyPair write_rsa_key(const std::filesystem::path& file, const std::string& passphrase) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
  if (!key) throw std::runtime_error("RSA key generation failed");
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new_file(file.c_str(), "w"), BIO_free);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_256_cbc();
  if (PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), cipher,
                                    passphrase.empty() ? nullptr : const_cast<char*>(passphrase.data()),
                                    static_cast<int>(passphrase.size()), nullptr, nullptr) != 1)
    throw std::runtime_error("cannot write the private key");
  std::unique_ptr<BIO, decltype(&BIO_free)> mem(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(mem.get(), key.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(mem.get(), &data);
  return {file, std::string(data, static_cast<size_t>(len))};
}

}  // namespace sluice::test
