#include "loaders/scan/file_syntax.h"

#include <algorithm>

#include "validators/file_qc/utf8.h"

namespace sluice {

FileSyntax FileSyntax::for_feed(const FeedSpec& feed, const std::string& file_name) {
  FileSyntax s;
  FileFormat format = feed.format;
  if (format == FileFormat::auto_detect) {
    const bool csv = file_name.find(".csv") != std::string::npos;
    format = csv ? FileFormat::csv : FileFormat::tsv;
  }
  s.quoted = format == FileFormat::csv;
  s.delimiter = feed.delimiter;
  // A table left at the tab default but declared csv means comma.
  if (format == FileFormat::csv && feed.delimiter == '\t' && feed.format == FileFormat::auto_detect)
    s.delimiter = ',';
  s.quote = feed.quote;
  s.null_marker = feed.null_marker;
  s.header = feed.header;
  s.latin1 = feed.encoding == TextEncoding::latin1 || feed.encoding == TextEncoding::windows1252;
  s.windows1252 = feed.encoding == TextEncoding::windows1252;
  s.backslash_escapes = feed.backslash_escapes && !s.quoted;
  return s;
}

std::size_t FileSyntax::to_utf8(const char* data, std::size_t size, std::vector<char>& out) const {
  if (out.size() < 3 * size) out.resize(3 * size);
  return windows1252 ? windows1252_to_utf8(data, size, out.data()) : latin1_to_utf8(data, size, out.data());
}

std::size_t count_line_ends(const char* p, const char* end, const char** after_last) {
  std::size_t lines = 0;
  while (p < end) {
    if (!is_line_end_byte(*p)) {
      ++p;
      continue;
    }
    p += line_end_length(p, end, true);
    ++lines;
    if (after_last) *after_last = p;
  }
  return lines;
}

bool only_line_ends(const char* p, const char* end) { return std::all_of(p, end, is_line_end_byte); }

}  // namespace sluice
