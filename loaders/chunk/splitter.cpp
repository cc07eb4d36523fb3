#include "loaders/chunk/splitter.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/error.h"

namespace sluice {
namespace {

// Where the last row with text ends (a blank line is not where a chunk may end).
struct LastRowEnd : RowVisitor {
  static constexpr bool kFields = false;
  void begin_row(const char* row, std::uint64_t) { start = row; }
  bool end_row(const char* text_end, const char* next, std::uint64_t) {
    if (text_end > start) last = next;
    return true;
  }
  const char* start = nullptr;
  const char* last = nullptr;
};

}  // namespace

std::size_t utf8_bom_length(const char* p, std::size_t n) {
  return n >= 3 && p[0] == '\xEF' && p[1] == '\xBB' && p[2] == '\xBF' ? 3 : 0;
}

HeaderSpan header_span(const char* p, std::size_t n, const FileSyntax& syntax) {
  HeaderSpan h;
  const char* const end = p + n;
  const char* s = p;
  while (s < end && is_line_end_byte(*s)) {
    s += line_end_length(s, end, true);
    ++h.lines;
  }
  h.start = static_cast<std::size_t>(s - p);
  h.line = 1 + h.lines;
  std::uint64_t quoted_newlines = 0;
  std::size_t length = row_length(s, static_cast<std::size_t>(end - s), syntax, &quoted_newlines);
  if (length == 0) length = static_cast<std::size_t>(end - s);  // the file ends in the header row
  h.size = length;
  while (h.size > 0 && is_line_end_byte(s[h.size - 1])) --h.size;
  h.skip = h.start + length;
  h.lines += 1 + quoted_newlines;
  return h;
}

DataStart data_start(const char* p, std::size_t n, const FileSyntax& syntax) {
  DataStart d;
  d.skip = utf8_bom_length(p, n);
  if (syntax.header) {
    const HeaderSpan h = header_span(p + d.skip, n - d.skip, syntax);
    d.skip += h.skip;
    d.lines = h.lines;
  }
  return d;
}

Splitter::Splitter(ByteSource& source, const FileSyntax& syntax, std::size_t chunk_bytes,
                   std::size_t max_row_bytes)
    : source_(source), syntax_(syntax), chunk_bytes_(chunk_bytes), max_row_bytes_(max_row_bytes) {}

std::size_t Splitter::complete_rows(const char* p, std::size_t n) const {
  // The cut goes after the last row that is not blank, and only where the row's line end is known
  // whole (not after a CR that the next read may follow with an LF). Blank lines after it go to
  // the next chunk, so a chunk other than the last never ends with blank lines.
  if (!syntax_.quoted) {
    // Without quotes every CR and LF ends a line: back over the blank lines at the end, to the end
    // of the last line with text; if its line end is not complete, to the line before it.
    const char* const end = p + n;
    const char* e = end;
    for (;;) {
      const char* k = e;
      while (k > p && is_line_end_byte(k[-1])) --k;
      if (k == p) return 0;
      if (k < end) {
        if (const std::size_t eol = line_end_length(k, end, false)) return static_cast<std::size_t>(k - p) + eol;
      }
      while (k > p && !is_line_end_byte(k[-1])) --k;
      if (k == p) return 0;
      e = k;
    }
  }
  // With quotes, a line end may be inside a field: the rows are walked from the chunk's start as
  // the scanner will walk them, so a cut is always a row end it agrees with. Toggling on every
  // quote, as this once did, let one quote inside an unquoted field hide the newlines after it.
  LastRowEnd rows;
  WalkOptions o;
  o.end_of_text = false;
  std::string unused;  // values are not wanted, so nothing is copied
  walk_rows(p, p + n, syntax_, o, unused, rows);
  return rows.last ? static_cast<std::size_t>(rows.last - p) : 0;
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
                                   "The file is probably not delimited text: no LF, CR LF or CR ends a row.");
    chunk.data.resize(std::min(chunk.data.size() * 2, max_row_bytes_));
  }
  chunk.index = index_++;
  chunk.stream_offset = offset_;
  offset_ += chunk.size;
  return true;
}

}  // namespace sluice
