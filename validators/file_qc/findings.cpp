#include "validators/file_qc/findings.h"

#include <fmt/format.h>

namespace sluice {

void ExampleList::merge(ExampleList&& later, std::uint64_t line_offset) {
  count_ += later.count_;
  for (auto& e : later.examples_) {
    if (examples_.size() >= kMaxExamples) break;
    e.line += line_offset;
    examples_.push_back(std::move(e));
  }
}

std::string display_value(const char* data, std::size_t size) {
  constexpr std::size_t kMax = 60;
  std::string out;
  for (std::size_t i = 0; i < size && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (size > kMax) out += "...";
  return out;
}

}  // namespace sluice
