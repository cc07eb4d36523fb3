#include "loaders/scan/row_locator.h"

#include "loaders/chunk/splitter.h"
#include "loaders/input/byte_source.h"

namespace sluice {

std::uint64_t line_of_row(const std::filesystem::path& file, const FileSyntax& syntax, std::uint64_t row) {
  // Rows are read with the Splitter, header_span and row_length, the rules the scan numbered them
  // by (a BOM is skipped, so are blank lines before a header, a quote opens a field only as its
  // first byte, a quoted newline stays in its row, a line ends at LF, CR LF or CR), so the line
  // named here is the line the scan would have named.
  auto source = open_byte_source(file);
  Splitter splitter(*source, syntax, 1u << 20);
  Chunk chunk;
  std::uint64_t rows_before = 0;
  std::uint64_t line = 1;
  bool first_chunk = true;
  while (splitter.next(chunk)) {
    const char* p = chunk.data.data();
    const char* const end = p + chunk.size;
    if (first_chunk) {
      p += utf8_bom_length(p, chunk.size);
      if (syntax.header) {
        const HeaderSpan h = header_span(p, static_cast<std::size_t>(end - p), syntax);
        p += h.skip;
        line += h.lines;
      }
    }
    first_chunk = false;
    while (p < end) {
      std::uint64_t quoted_newlines = 0;
      std::size_t length = row_length(p, static_cast<std::size_t>(end - p), syntax, &quoted_newlines);
      if (length == 0) length = static_cast<std::size_t>(end - p);  // the last row, without a line end
      if (++rows_before == row) return line;
      line += 1 + quoted_newlines;
      p += length;
    }
  }
  return 0;
}

}  // namespace sluice
