#!/usr/bin/python3
"""Throw-away TLS material for the HTTPS tests, made at test time (never committed):

  ca.pem, ca.key          a CA ("sluice test CA")
  server.pem, server.key  a server certificate it signed, for localhost, *.localhost, 127.0.0.1, ::1
  other_ca.pem            a second CA that signed nothing here (for the "wrong CA" tests)

Run: /usr/bin/python3 make_test_ca.py DIR   (Debian's python3-cryptography). Keys are EC P-256:
fast to make and accepted by OpenSSL's default security level.
"""

import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _write(path, data, private=False):
    with open(path, "wb") as f:
        f.write(data)
    if private:
        os.chmod(path, 0o600)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca(name):
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server(ca_key, ca_cert):
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName("localhost"), x509.DNSName("*.localhost"),
             x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
             x509.IPAddress(ipaddress.ip_address("::1"))]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_ca.py DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    ca_key, ca_cert = make_ca("sluice test CA")
    server_key, server_cert = make_server(ca_key, ca_cert)
    _, other_cert = make_ca("sluice unrelated test CA")
    pem = serialization.Encoding.PEM
    _write(os.path.join(out, "ca.pem"), ca_cert.public_bytes(pem))
    _write(os.path.join(out, "ca.key"), _key_pem(ca_key), private=True)
    _write(os.path.join(out, "server.pem"), server_cert.public_bytes(pem))
    _write(os.path.join(out, "server.key"), _key_pem(server_key), private=True)
    _write(os.path.join(out, "other_ca.pem"), other_cert.public_bytes(pem))


if __name__ == "__main__":
    main()
