#include "app/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace sluice {
namespace {

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

OutputFormat parse_output_format(const std::string& name) {
  if (name == "json") return OutputFormat::json;
  if (name == "csv") return OutputFormat::csv;
  return OutputFormat::text;
}

void emit(const std::string& content, const std::filesystem::path& path) {
  if (path.empty()) {
    std::fwrite(content.data(), 1, content.size(), stdout);
    std::fflush(stdout);
    return;
  }
  const std::filesystem::path tmp = path.string() + fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw runtime_error(fmt::format("cannot write {}", path.string()), errno_text(errno),
                          "Check that the directory exists and is writable, and that the disk has room.");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw runtime_error(fmt::format("cannot write {}", path.string()), ec.message(), "Check that the directory is writable.");
  }
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out + "\n";
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows, const std::vector<std::size_t>& right,
                          const std::string& indent) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], display_width(r[c]));
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line = indent;
    for (std::size_t c = 0; c < r.size(); ++c) {
      const std::string pad(width[c] - display_width(r[c]), ' ');
      const bool is_right = std::find(right.begin(), right.end(), c) != right.end();
      if (c) line += "  ";
      line += is_right ? pad + r[c] : (c + 1 == r.size() ? r[c] : r[c] + pad);
    }
    out += line + "\n";
  }
  return out;
}

nlohmann::json day_or_null(const std::optional<DateRange>& range, bool first) {
  if (!range) return nullptr;
  return format_iso(first ? range->first : range->last);
}

}  // namespace sluice
