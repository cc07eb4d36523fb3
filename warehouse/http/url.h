// URLs for the HTTP clients (S3, Snowflake SQL API): splitting an absolute http(s) URL into its
// parts, and the transport rule every client enforces before a request leaves the process:
// https to anywhere (certificates verified), plain http only to a loopback host (the emulators).
#pragma once

#include <string>
#include <string_view>

namespace sluice::http {

struct Url {
  std::string scheme;  // "http" | "https", lower case
  std::string host;    // as written; IPv6 with its brackets ("[::1]")
  int port = 0;        // 0 when the URL has none (then the scheme's default)
  std::string path;    // starts with '/'; "/" when the URL has none; still percent-encoded
  std::string query;   // without '?'; still percent-encoded

  int effective_port() const { return port ? port : (scheme == "https" ? 443 : 80); }
  // host[:port] as the Host header carries it: the port only when it is not the default.
  std::string authority() const;
  // scheme://host[:port]
  std::string origin() const;
};

// Parses "scheme://host[:port][/path][?query]"; no user info, no fragment. Throws a usage Error
// naming the problem (never echoing a user@ part, which could hold a password).
Url parse_url(std::string_view text);

// localhost, *.localhost (RFC 6761: always loopback, and curl resolves them so itself),
// 127.0.0.0/8, [::1].
bool is_loopback_host(std::string_view host);

// https://..., or http:// to a loopback host. Anything else (other schemes, user@host) is refused.
bool is_allowed_endpoint(std::string_view url);

// Throws a usage Error when the URL may not be used: plain http to a non-loopback host would send
// tokens and signed requests in clear text. `what` names the setting in the message.
void require_allowed_endpoint(std::string_view url, std::string_view what);

}  // namespace sluice::http
