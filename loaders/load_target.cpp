#include "loaders/load_target.h"

#include "loaders/scan/row_locator.h"

namespace sluice {

void SentRows::add(const ScannedChunk& c) {
  Span span{c.first_row, c.rows, c.first_line, c.rows_span_lines, {}};
  if (c.rejects)
    for (const auto& r : *c.rejects) span.rejected_rows.push_back(r.row);
  spans_.push_back(std::move(span));
}

std::uint64_t SentRows::line_of(std::uint64_t sent_row, const std::filesystem::path& path, const FileSyntax& syntax) const {
  std::uint64_t sent_before = 0;
  for (const auto& s : spans_) {
    const std::uint64_t sent_here = s.rows - s.rejected_rows.size();
    if (sent_row > sent_before + sent_here) {
      sent_before += sent_here;
      continue;
    }
    // The k-th sent row of this chunk is its k-th row not set aside.
    std::uint64_t row = sent_row - sent_before - 1;
    for (std::uint64_t skipped : s.rejected_rows)
      if (skipped <= row) ++row;
    if (!s.spans_lines) return s.first_line + row;
    return line_of_row(path, syntax, s.first_row + row + 1);
  }
  return 0;
}

}  // namespace sluice
