// RSA key pairs for the Snowflake key-pair tests, made with OpenSSL at run time (no key material
// in the repository).
#pragma once

#include <filesystem>
#include <string>

namespace sluice::test {

struct TestKeyPair {
  std::filesystem::path private_key_file;  // PKCS#8 PEM, encrypted when a passphrase was given
  std::string public_key_pem;              // SubjectPublicKeyInfo PEM
};

TestKeyPair write_rsa_key(const std::filesystem::path& file, const std::string& passphrase = {});

}  // namespace sluice::test
