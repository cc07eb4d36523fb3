#include "warehouse/s3/s3_xml.h"

#include <cctype>
#include <cstdlib>

namespace sluice::s3::xml {
namespace {

// Position of the opening tag "<tag>" / "<tag ...>" / "<tag/>" at or after `from`.
struct Open {
  size_t start = std::string_view::npos;  // '<'
  size_t content = 0;                     // after '>'
  bool self_closing = false;
};

Open find_open(std::string_view doc, std::string_view tag, size_t from) {
  for (size_t at = doc.find('<', from); at != std::string_view::npos; at = doc.find('<', at + 1)) {
    if (doc.compare(at + 1, tag.size(), tag) != 0) continue;
    const size_t after = at + 1 + tag.size();
    if (after >= doc.size()) break;
    const char c = doc[after];
    if (c != '>' && c != ' ' && c != '/' && c != '\t' && c != '\n' && c != '\r') continue;
    const size_t close = doc.find('>', after);
    if (close == std::string_view::npos) break;
    return {at, close + 1, doc[close - 1] == '/'};
  }
  return {};
}

}  // namespace

std::optional<std::string> text(std::string_view doc, std::string_view tag) {
  const Open open = find_open(doc, tag, 0);
  if (open.start == std::string_view::npos) return std::nullopt;
  if (open.self_closing) return std::string();
  const std::string closing = "</" + std::string(tag) + ">";
  const size_t end = doc.find(closing, open.content);
  if (end == std::string_view::npos) return std::nullopt;
  return decode(doc.substr(open.content, end - open.content));
}

std::vector<std::string_view> elements(std::string_view doc, std::string_view tag) {
  std::vector<std::string_view> out;
  const std::string closing = "</" + std::string(tag) + ">";
  size_t from = 0;
  while (true) {
    const Open open = find_open(doc, tag, from);
    if (open.start == std::string_view::npos) break;
    if (open.self_closing) {
      out.emplace_back();
      from = open.content;
      continue;
    }
    const size_t end = doc.find(closing, open.content);
    if (end == std::string_view::npos) break;
    out.push_back(doc.substr(open.content, end - open.content));
    from = end + closing.size();
  }
  return out;
}

std::string decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    const std::string_view name = s.substr(i + 1, semi - i - 1);
    if (name == "lt") out += '<';
    else if (name == "gt") out += '>';
    else if (name == "amp") out += '&';
    else if (name == "quot") out += '"';
    else if (name == "apos") out += '\'';
    else if (name.size() > 1 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      const std::string digits(name.substr(hex ? 2 : 1));
      const unsigned long cp = std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10);
      // UTF-8 encode
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string root_name(std::string_view doc) {
  size_t at = 0;
  while (true) {
    at = doc.find('<', at);
    if (at == std::string_view::npos) return {};
    if (doc.compare(at, 2, "<?") == 0 || doc.compare(at, 4, "<!--") == 0) {
      at = doc.find('>', at);
      if (at == std::string_view::npos) return {};
      continue;
    }
    size_t end = at + 1;
    while (end < doc.size() && (std::isalnum(static_cast<unsigned char>(doc[end])) ||
                                doc[end] == '_' || doc[end] == '-' || doc[end] == ':'))
      ++end;
    return std::string(doc.substr(at + 1, end - at - 1));
  }
}

}  // namespace sluice::s3::xml
