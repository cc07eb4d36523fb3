#include "loaders/scan/row_locator.h"

#include "loaders/chunk/splitter.h"
#include "loaders/input/byte_source.h"

namespace sluice {
namespace {

// Counts rows to the wanted one and keeps the line it starts on.
struct FindRow : RowVisitor {
  static constexpr bool kFields = false;
  explicit FindRow(std::uint64_t row) : wanted(row) {}
  void begin_row(const char*, std::uint64_t line) { row_line = line; }
  bool end_row(const char*, const char*, std::uint64_t) {
    if (++rows_before != wanted) return true;
    found = true;
    return false;
  }
  const std::uint64_t wanted;
  std::uint64_t rows_before = 0;
  std::uint64_t row_line = 0;
  bool found = false;
};

}  // namespace

std::uint64_t line_of_row(const std::filesystem::path& file, const FileSyntax& syntax, std::uint64_t row) {
  // Rows are read with the Splitter and the row walker, as the scan numbered them (a BOM is
  // skipped, so are blank lines before a header, a quote opens a field only as its first byte, a
  // quoted newline stays in its row, a line ends at LF, CR LF or CR), so the line named here is
  // the line the scan would have named.
  auto source = open_byte_source(file);
  Splitter splitter(*source, syntax, 1u << 20);
  Chunk chunk;
  FindRow find(row);
  std::string scratch;
  std::uint64_t line = 1;
  while (splitter.next(chunk)) {
    const char* p = chunk.data.data();
    if (chunk.index == 0) {
      const DataStart d = data_start(p, chunk.size, syntax);
      p += d.skip;
      line += d.lines;
    }
    const WalkEnd w = walk_rows(p, chunk.data.data() + chunk.size, syntax, WalkOptions{}, scratch, find);
    if (find.found) return line + find.row_line;
    line += w.lines;
  }
  return 0;
}

}  // namespace sluice
