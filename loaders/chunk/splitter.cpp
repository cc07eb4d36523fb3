#include "loaders/chunk/splitter.h"

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
  // Chunks start outside quotes; a quote toggles the state ("" toggles twice).
  bool in_quotes = false;
  std::size_t last = 0;
  const char q = syntax_.quote;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (c == q) in_quotes = !in_quotes;
    else if (c == '\n' && !in_quotes) last = i + 1;
  }
  return last;
}

bool Splitter::next(Chunk& chunk) {
  if (eof_ && carry_.empty()) return false;
  std::size_t capacity = std::max(chunk_bytes_, carry_.size() + 1);
  if (chunk.data.size() < capacity) chunk.data.resize(capacity);
  std::memcpy(chunk.data.data(), carry_.data(), carry_.size());
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
