#include "loaders/scan/row_locator.h"

#include <vector>

#include "loaders/input/byte_source.h"

namespace sluice {

std::uint64_t line_of_row(const std::filesystem::path& file, const FileSyntax& syntax, std::uint64_t row) {
  auto source = open_byte_source(file);
  std::vector<char> buf(1 << 20);
  std::uint64_t line = 1;
  std::uint64_t rows_done = 0;          // complete rows seen, header included
  const std::uint64_t target = row + (syntax.header ? 1 : 0);
  bool in_quotes = false;
  if (target == 1) return 1;
  while (const std::size_t n = source->read(buf.data(), buf.size())) {
    for (std::size_t i = 0; i < n; ++i) {
      const char c = buf[i];
      if (syntax.quoted && c == syntax.quote) {
        in_quotes = !in_quotes;
      } else if (c == '\n') {
        ++line;
        if (!in_quotes && ++rows_done == target - 1) return line;
      }
    }
  }
  return 0;
}

}  // namespace sluice
