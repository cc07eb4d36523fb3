// The Splitter stage: cuts the byte stream into row-aligned chunks. A chunk ends after the last
// complete row in its buffer; the partial row left over starts the next chunk. For CSV the cut is
// quote-aware, so a newline inside a quoted field never splits a row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "loaders/csv/row_walker.h"
#include "loaders/input/byte_source.h"
#include "loaders/scan/file_syntax.h"

namespace sluice {

struct Chunk {
  std::uint64_t index = 0;
  std::uint64_t stream_offset = 0;  // offset of the first byte in the uncompressed stream
  std::vector<char> data;           // capacity reused across chunks
  std::size_t size = 0;
  bool last = false;
};

// A UTF-8 byte order mark at the start of a file is not data (editors on Windows write one): the
// engine drops it before scanning, and the Splitter reads the first row from after it.
std::size_t utf8_bom_length(const char* p, std::size_t n);

// Where the data rows of a file with a header row start, read from its first chunk (after a BOM):
// blank lines before the header are not rows (Python's csv module skips them too), then the header
// row, which a quoted name may make span lines. The first chunk holds all of it, or is the file.
struct HeaderSpan {
  std::size_t start = 0;    // the header row's first byte
  std::size_t size = 0;     // the header row's length, line end excluded
  std::size_t skip = 0;     // bytes before the first data row
  std::uint64_t lines = 0;  // lines those bytes span
  std::uint64_t line = 1;   // the header row's first line
};
HeaderSpan header_span(const char* p, std::size_t n, const FileSyntax& syntax);

// Where a file's data rows start in its first chunk, as the pipeline reads it: after a byte order
// mark and, with a header row, after the header (and the blank lines before it). `lines` is the
// lines those bytes span.
struct DataStart {
  std::size_t skip = 0;
  std::uint64_t lines = 0;
};
DataStart data_start(const char* p, std::size_t n, const FileSyntax& syntax);

class Splitter {
 public:
  // `chunk_bytes` is the target size; a single row longer than that grows the buffer up to
  // `max_row_bytes`, beyond which the file is rejected as not delimited text.
  Splitter(ByteSource& source, const FileSyntax& syntax, std::size_t chunk_bytes,
           std::size_t max_row_bytes = 256u << 20);

  // Fills `chunk` with whole rows. Returns false when the input is exhausted (chunk untouched).
  // Only the last chunk ends with blank lines: the scanner drops those at the end of what it scans,
  // which must be the end of the file.
  bool next(Chunk& chunk);
  std::uint64_t bytes_out() const { return offset_; }

 private:
  // Length of the prefix of [p, p+n) that ends with a complete row, or 0 if none does.
  std::size_t complete_rows(const char* p, std::size_t n) const;

  ByteSource& source_;
  FileSyntax syntax_;
  std::size_t chunk_bytes_;
  std::size_t max_row_bytes_;
  std::vector<char> carry_;
  std::uint64_t offset_ = 0;
  std::uint64_t index_ = 0;
  bool eof_ = false;
};

}  // namespace sluice
