#include "warehouse/http/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text_format.h"

namespace sluice::http {
namespace {

bool is_loopback_ipv4(std::string_view host) {
  int parts = 0;
  while (true) {
    const size_t dot = host.find('.');
    const std::string_view part = host.substr(0, dot);
    int value = 0;
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    std::from_chars(part.data(), part.data() + part.size(), value);
    if (value > 255 || (parts == 0 && value != 127)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  return parts == 4;
}

}  // namespace

std::string Url::authority() const {
  if (port == 0 || port == (scheme == "https" ? 443 : 80)) return host;
  return fmt::format("{}:{}", host, port);
}

std::string Url::origin() const { return scheme + "://" + authority(); }

Url parse_url(std::string_view text) {
  Url url;
  const size_t colon = text.find("://");
  if (colon == std::string_view::npos)
    throw usage_error(fmt::format("\"{}\" is not an absolute URL", text),
                      "Expected scheme://host[:port][/path].");
  url.scheme = ascii_lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https")
    throw usage_error(fmt::format("unsupported URL scheme \"{}\"", url.scheme),
                      "Only https:// (and http:// to a loopback host) is supported.");
  std::string_view rest = text.substr(colon + 3);
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos)
    throw usage_error("URLs with a user name or password are not accepted",
                      "Credentials belong in the environment or a key file, not in a URL.");
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) throw usage_error("unterminated IPv6 address in a URL");
    url.host = std::string(authority.substr(0, close + 1));
    authority.remove_prefix(close + 1);
  } else {
    const size_t c = authority.find(':');
    url.host = std::string(authority.substr(0, c));
    authority = c == std::string_view::npos ? std::string_view() : authority.substr(c);
  }
  if (!authority.empty()) {
    if (authority[0] != ':') throw usage_error("malformed host in a URL");
    const std::string_view digits = authority.substr(1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), url.port);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || url.port <= 0 ||
        url.port > 65535)
      throw usage_error(fmt::format("bad port \"{}\" in a URL", digits));
  }
  if (url.host.empty()) throw usage_error("a URL without a host");
  url.host = ascii_lower(url.host);
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const size_t q = rest.find('?');
  url.path = std::string(rest.substr(0, q));
  if (url.path.empty()) url.path = "/";
  if (q != std::string_view::npos) url.query = std::string(rest.substr(q + 1));
  return url;
}

bool is_loopback_host(std::string_view host0) {
  const std::string host = ascii_lower(host0);
  return host == "localhost" || host.ends_with(".localhost") || host == "[::1]" ||
         is_loopback_ipv4(host);
}

bool is_allowed_endpoint(std::string_view text) {
  try {
    const Url url = parse_url(text);
    return url.scheme == "https" || is_loopback_host(url.host);
  } catch (const Error&) {
    return false;
  }
}

void require_allowed_endpoint(std::string_view text, std::string_view what) {
  const Url url = parse_url(text);  // throws on malformed URLs
  if (url.scheme == "https" || is_loopback_host(url.host)) return;
  throw usage_error(
      fmt::format("refusing plain http to {} for {}", url.authority(), what),
      "Plain http would send credentials and signed requests unencrypted; it is accepted only "
      "for a loopback host (localhost, 127.0.0.1, [::1]).",
      "Use an https:// URL.");
}

}  // namespace sluice::http
