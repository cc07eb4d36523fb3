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
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::string out;
  // Bytes that are not UTF-8 are shown as escapes too: the value is read on a terminal and in JSON,
  // and the byte is the finding.
  std::size_t bad = find_invalid_utf8(data, size);
  std::size_t i = 0;
  for (; i < size && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (i == bad) {
      out += fmt::format("\\x{:02x}", c);
      const std::size_t next = find_invalid_utf8(data + i + 1, size - i - 1);
      bad = next == kNone ? kNone : i + 1 + next;
    } else if (c >= 0x80) {  // a whole character, or none: a cut one would not be UTF-8
      const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      if (i + length > kMax) break;
      out.append(data + i, length);
      i += length - 1;
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (i < size) out += "...";
  return out;
}

}  // namespace sluice
