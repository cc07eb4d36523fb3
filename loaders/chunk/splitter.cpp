#include "loaders/chunk/splitter.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace sluice {

std::size_t utf8_bom_length(const char* p, std::size_t n) {
  return n >= 3 && p[0] == '\xEF' && p[1] == '\xBB' && p[2] == '\xBF' ? 3 : 0;
}

std::size_t row_length(const char* p, std::size_t n, const FileSyntax& syntax, std::uint64_t* quoted_newlines) {
  if (!syntax.quoted) {
    const void* nl = std::memchr(p, '\n', n);
    return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - p) + 1 : 0;
  }
  // Mirrors scan_quoted: a quote opens a quoted field only as the field's first byte ("" inside is
  // one quote); text after the closing quote runs to the delimiter or the line end. A quote anywhere
  // else is text (27" monitor).
  const char q = syntax.quote;
  const char delim = syntax.delimiter;
  const char* const end = p + n;
  const char* s = p;  // at the start of a field
  std::uint64_t newlines = 0;
  for (;;) {
    if (s < end && *s == q) {
      for (++s;;) {
        const char* close = static_cast<const char*>(std::memchr(s, q, static_cast<std::size_t>(end - s)));
        if (!close) return 0;  // the quoted field goes on past the buffer
        if (quoted_newlines) newlines += static_cast<std::uint64_t>(std::count(s, close, '\n'));
        s = close + 1;
        if (s < end && *s == q) {
          ++s;
          continue;
        }
        break;
      }
      while (s < end && *s != delim && *s != '\n' && *s != '\r') ++s;
      if (s < end && *s == '\r') {
        if (s + 1 == end) return 0;  // a CR LF may be cut here
        if (s[1] != '\n') {           // a lone CR ends the row
          if (quoted_newlines) *quoted_newlines = newlines;
          return static_cast<std::size_t>(s - p) + 1;
        }
        ++s;
      }
    } else {
      while (s < end && *s != delim && *s != '\n') ++s;
    }
    if (s == end) return 0;
    if (*s == '\n') {
      if (quoted_newlines) *quoted_newlines = newlines;
      return static_cast<std::size_t>(s - p) + 1;
    }
    ++s;  // the delimiter: the next field starts
  }
}

Splitter::Splitter(ByteSource& source, const FileSyntax& syntax, std::size_t chunk_bytes,
                   std::size_t max_row_bytes)
    : source_(source), syntax_(syntax), chunk_bytes_(chunk_bytes), max_row_bytes_(max_row_bytes) {}

std::size_t Splitter::complete_rows(const char* p, std::size_t n) const {
  if (!syntax_.quoted) {
    const void* nl = ::memrchr(p, '\n', n);
    return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - p) + 1 : 0;
  }
  // Row by row as the scanner reads them, so a cut is always a row end it agrees with. Toggling on
  // every quote, as this once did, let one quote inside an unquoted field hide the newlines after
  // it: the chunk was then cut inside the next quoted newline, or grew to max_row_bytes and the file
  // was refused. Cuts are made only after a newline (not after a lone CR), so a chunk never ends
  // between the CR and LF of one line end.
  std::size_t last = 0;
  for (std::size_t at = 0; at < n;) {
    const std::size_t length = row_length(p + at, n - at, syntax_);
    if (length == 0) break;
    at += length;
    if (p[at - 1] == '\n') last = at;
  }
  return last;
}

bool Splitter::next(Chunk& chunk) {
  if (eof_ && carry_.empty()) return false;
  std::size_t capacity = std::max(chunk_bytes_, carry_.size() + 1);
  if (chunk.data.size() < capacity) chunk.data.resize(capacity);
  // Not memcpy: an empty carry's data() may be null, which memcpy may not be given even for 0 bytes.
  std::copy(carry_.begin(), carry_.end(), chunk.data.begin());
  std::size_t filled = carry_.size();
  carry_.clear();

  for (;;) {
    while (!eof_ && filled < chunk.data.size()) {
      const std::size_t n = source_.read(chunk.data.data() + filled, chunk.data.size() - filled);
      if (n == 0) eof_ = true;
      filled += n;
    }
    if (eof_) {
      if (filled == 0) return false;
      chunk.size = filled;
      chunk.last = true;
      break;
    }
    // The first row starts after a byte order mark, where the scanner will start.
    const std::size_t bom = offset_ == 0 ? utf8_bom_length(chunk.data.data(), filled) : 0;
    const std::size_t rows = complete_rows(chunk.data.data() + bom, filled - bom);
    const std::size_t cut = rows > 0 ? bom + rows : 0;
    if (cut > 0) {
      carry_.assign(chunk.data.data() + cut, chunk.data.data() + filled);
      chunk.size = cut;
      chunk.last = false;
      break;
    }
    // Not one complete row in the buffer: grow it, within reason.
    if (chunk.data.size() >= max_row_bytes_)
      throw Error(ExitCode::qc_failed,
                  fmt::format("{} has a row longer than {} MiB", source_.path().string(), max_row_bytes_ >> 20),
                  fmt::format("no row end found after uncompressed byte {}", offset_),
                  syntax_.quoted ? "A quote is probably never closed, or the file is not CSV." :
                                   "The file is probably not delimited text, or its line ends are not \\n.");
    chunk.data.resize(std::min(chunk.data.size() * 2, max_row_bytes_));
  }
  chunk.index = index_++;
  chunk.stream_offset = offset_;
  offset_ += chunk.size;
  return true;
}

}  // namespace sluice
