#include "loaders/chunk/splitter.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace sluice {

Splitter::Splitter(ByteSource& source, const FileSyntax& syntax, std::size_t chunk_bytes,
                   std::size_t max_row_bytes)
    : source_(source), syntax_(syntax), chunk_bytes_(chunk_bytes), max_row_bytes_(max_row_bytes) {}

std::size_t Splitter::complete_rows(const char* p, std::size_t n) const {
  if (!syntax_.quoted) {
    const void* nl = ::memrchr(p, '\n', n);
    return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - p) + 1 : 0;
  }
  // Chunks start at a row. The walk reads fields the way scan_quoted does, so every cut is a row end
  // the scanner agrees with: a quote opens a quoted field only as the field's first byte ("" inside
  // is one quote); text after the closing quote runs to the delimiter or the line end, where a lone
  // CR also ends the row. A quote anywhere else is text (27" monitor). Toggling on every quote, as
  // this once did, let one such value hide the following newlines: the chunk was then cut inside the
  // next quoted newline, or grew to max_row_bytes and the file was refused.
  const char q = syntax_.quote;
  const char delim = syntax_.delimiter;
  const char* const end = p + n;
  const char* s = p;  // at the start of a field
  std::size_t last = 0;
  while (s < end) {
    if (*s == q) {
      for (++s;;) {
        const void* close = std::memchr(s, q, static_cast<std::size_t>(end - s));
        if (!close) return last;  // the quoted field goes on past the buffer
        s = static_cast<const char*>(close) + 1;
        if (s < end && *s == q) {
          ++s;
          continue;
        }
        break;
      }
      while (s < end && *s != delim && *s != '\n' && *s != '\r') ++s;
      if (s < end && *s == '\r') {
        const bool lone_cr = !(s + 1 < end && s[1] == '\n');
        ++s;
        if (lone_cr) continue;
      }
    } else {
      while (s < end && *s != delim && *s != '\n') ++s;
    }
    if (s == end) break;
    if (*s == '\n') last = static_cast<std::size_t>(s - p) + 1;
    ++s;
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
    const std::size_t cut = complete_rows(chunk.data.data(), filled);
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
