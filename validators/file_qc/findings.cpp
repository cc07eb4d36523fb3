#include "validators/file_qc/findings.h"

#include <algorithm>

#include <fmt/format.h>

#include "validators/file_qc/utf8.h"

namespace sluice {

void ExampleList::merge(ExampleList&& later, std::uint64_t line_offset) {
  count_ += later.count_;
  for (auto& e : later.examples_) {
    if (examples_.size() >= kMaxExamples) break;
    e.line += line_offset;
    examples_.push_back(std::move(e));
  }
}

Example invalid_utf8_example(std::uint64_t line, const char* row, std::size_t size, std::size_t bad) {
  return {line, static_cast<std::uint32_t>(bad + 1), 0, display_value(row + bad, std::min<std::size_t>(8, size - bad)),
          fmt::format("byte 0x{:02x}", static_cast<unsigned char>(row[bad]))};
}

std::string display_value(const char* data, std::size_t size) {
  constexpr std::size_t kMax = 60;
  std::string out;
  std::size_t i = 0;
  while (i < size && i < kMax) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    const std::size_t len = utf8_char_length(data + i, size - i);
    if (len > 1) {
      if (i + len > kMax) break;  // never half a character
      out.append(data + i, len);
      i += len;
      continue;
    }
    // A byte that is not text (control, NUL, or not UTF-8) is shown as an escape, so what is
    // printed is one line of valid UTF-8 (JSON output needs that) and names the byte.
    if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (len == 0 || c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
    ++i;
  }
  if (i < size) out += "...";
  return out;
}

}  // namespace sluice
