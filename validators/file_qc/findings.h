// What file QC found: each finding names the check, how many rows it hit, and the first examples
// with exact line numbers (and byte column and field for field errors). Partial results from the
// chunk workers carry chunk-relative line numbers; merging in chunk order makes them absolute.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

enum class Severity { error, warning };

struct Example {
  std::uint64_t line = 0;    // 1-based physical line where the row starts
  std::uint32_t column = 0;  // 1-based byte column of the field in that line; 0 = the whole row
  int field = 0;             // 1-based field number; 0 = the whole row
  std::string value;         // the offending text, cut to a readable length
  std::string note;          // e.g. "40 fields", "is 2024-02-30 a real day?"
};

// Counts and keeps the first kMaxExamples examples of one kind of problem.
class ExampleList {
 public:
  static constexpr std::size_t kMaxExamples = 10;

  void add(Example e) {
    ++count_;
    if (examples_.size() < kMaxExamples) examples_.push_back(std::move(e));
  }
  // Appends a later chunk's list, shifting its chunk-relative lines by `line_offset`.
  void merge(ExampleList&& later, std::uint64_t line_offset);
  // Shifts this list's lines (for a chunk's own list before it is merged).
  std::uint64_t count() const { return count_; }
  const std::vector<Example>& examples() const { return examples_; }
  bool empty() const { return count_ == 0; }

 private:
  std::uint64_t count_ = 0;
  std::vector<Example> examples_;
};

struct Finding {
  std::string check;       // stable id: "column_count", "date_unparseable", "missing_days", ...
  Severity severity = Severity::error;
  std::string message;     // one line a person reads first
  std::uint64_t count = 0; // rows (or days) affected
  std::vector<Example> examples;
  std::vector<std::string> details;  // extra lines (e.g. the missing days as ranges)
};

// The example for a row whose bytes are not UTF-8 from offset `bad` on (the row starts at `row`,
// `size` bytes, line end excluded): its column, the bytes from there, and which byte it is.
Example invalid_utf8_example(std::uint64_t line, const char* row, std::size_t size, std::size_t bad);

// Cuts a value for display: at most 60 bytes (whole characters), control characters and bytes
// that are not UTF-8 shown as escapes (\x00, \t, ...).
std::string display_value(const char* data, std::size_t size);

}  // namespace sluice
