// What QC found. Every kind of finding is a Check, and what is fixed about it (its stable id, its
// severity, whether it is about a row, a value, the file or a table, its message, a line of
// explanation, what to do, and the reason a set-aside row gets) is one row of the table in
// findings.cpp. That table is the one place, as DuckDB's csv_error.cpp or PostgreSQL's ereport
// (message, detail, hint), where a check and where it was found become what a person reads: the
// report, the reject file, the JSON and the menu all take their words from it.
//
// A finding names the check, how many rows (days, keys) it hit, and the first examples with exact
// line numbers (and byte column and field for field errors). Partial results from the chunk
// workers carry chunk-relative line numbers; merging in chunk order makes them absolute.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace sluice {

enum class Severity { error, warning };

enum class Check : std::uint8_t {
  // Found by the scan in each chunk (ChunkQc keeps one ExampleList each), listed in the report in
  // this order. Each makes its row bad, except stray_quote, a warning about a value read as
  // PostgreSQL reads it.
  column_count,
  unterminated_quote,
  stray_quote,
  invalid_utf8,
  type,
  required_empty,
  date_empty,
  date_unparseable,
  date_out_of_range,
  // Over the whole file.
  header,
  missing_days,
  day_anomalies,
  unusual_days,
  duplicate_key,
  max_errors,
  // Over a table's rows in the warehouse (validate, --qc warehouse).
  table_missing,
  columns_missing,
  date_checks_skipped,
  empty,
  duplicate_keys,
  required_nulls,
  date_null,
  history_mismatch,
};

// The checks the scan finds per chunk: the first kScanChecks of Check.
inline constexpr std::size_t kScanChecks = static_cast<std::size_t>(Check::date_out_of_range) + 1;

enum class CheckScope : std::uint8_t {
  row,    // the row is bad: never loaded; with --on-error skip it goes to the reject file
  value,  // a warning about one value; its row is good
  file,   // the file as a whole
  table,  // a table's rows in the warehouse
};

struct CheckInfo {
  Check check;
  std::string_view id;  // stable: JSON "check", the text report, the menu, scripts
  Severity severity;    // as found; --on-error skip and low_days: warn make some warnings
  CheckScope scope;
  // The finding's message, a fmt pattern: {n} the count, {s} "s" unless the count is 1, and the
  // facts its maker names ({column}, {range}, ...). Where a check says more than the pattern can
  // (validate's missing days), the maker composes the message itself.
  std::string_view message;
  std::string_view detail;  // a fixed line of explanation, added to the finding's details
  std::string_view hint;    // what to do; empty when the message says it
  // Row checks: the reason a set-aside row gets in the reject file, from its example: {column}
  // (the field's column name), {value}, {note}, {position} (the byte column).
  std::string_view reason;
};

const CheckInfo& check_info(Check check);
inline std::string_view check_id(Check check) { return check_info(check).id; }
// The check of a stable id ("column_count"), or none for an id this build does not know.
std::optional<Check> check_from_id(std::string_view id);

// "s" unless n is 1: the plural ending the messages' {s} stands for.
inline const char* plural_s(std::uint64_t n) { return n == 1 ? "" : "s"; }

struct Example {
  std::uint64_t line = 0;    // 1-based physical line where the row starts
  std::uint32_t column = 0;  // 1-based byte column of the field in that line; 0 = the whole row
  int field = 0;             // 1-based field number; 0 = the whole row
  std::string value;         // the offending text, cut to a readable length
  std::string note;          // e.g. "40 fields", "is 2024-02-30 a real day?"
};

// Counts one kind of problem and keeps the first kMaxExamples examples.
class ExampleList {
 public:
  static constexpr std::size_t kMaxExamples = 10;

  // True while another example would be kept.
  bool keeps_more() const { return examples_.size() < kMaxExamples; }
  void add(Example e) {
    ++count_;
    if (keeps_more()) examples_.push_back(std::move(e));
  }
  // Counts one more and calls make() for its example only while one is kept: past the cap, a
  // failing value of a file full of them costs a count, no text and no allocation.
  template <typename MakeExample>
  void add_with(MakeExample&& make) {
    ++count_;
    if (keeps_more()) examples_.push_back(make());
  }
  // Appends a later chunk's list, shifting its chunk-relative lines by `line_offset`.
  void merge(ExampleList&& later, std::uint64_t line_offset);
  std::uint64_t count() const { return count_; }
  const std::vector<Example>& examples() const { return examples_; }
  bool empty() const { return count_ == 0; }

 private:
  std::uint64_t count_ = 0;
  std::vector<Example> examples_;
};

struct Finding {
  Check check = Check::column_count;
  Severity severity = Severity::error;
  std::string message;      // one line a person reads first
  std::uint64_t count = 0;  // rows (or days, keys) affected
  std::vector<Example> examples;
  std::vector<std::string> details;  // extra lines (e.g. the missing days as ranges)
  std::string hint;                  // what to do

  std::string_view id() const { return check_id(check); }
};

// A finding of `check` as the table says: its severity, its message with {n} = count, {s} and
// the named facts (fmt::arg("column", ...)), its fixed detail and its hint.
template <typename... Facts>
Finding make_finding(Check check, std::uint64_t count, const Facts&... facts);
// The same with a message its maker composed.
Finding make_finding_saying(Check check, std::uint64_t count, std::string message);

// The reason a row set aside by a row check gets in the reject file, from the check's example;
// `column` is the name of the example's field ("" for the whole row or a field past the last).
std::string reject_reason(Check check, const Example& example, std::string_view column);

// The example for a row whose bytes are not UTF-8 from offset `bad` on (the row starts at `row`,
// `size` bytes, line end excluded): its column, the bytes from there, and which byte it is.
Example invalid_utf8_example(std::uint64_t line, const char* row, std::size_t size, std::size_t bad);

// Cuts a value for display: at most 60 bytes (whole characters), control characters and bytes
// that are not UTF-8 shown as escapes (\x00, \t, ...).
std::string display_value(const char* data, std::size_t size);

template <typename... Facts>
Finding make_finding(Check check, std::uint64_t count, const Facts&... facts) {
  const CheckInfo& c = check_info(check);
  return make_finding_saying(check, count,
                             fmt::format(fmt::runtime(c.message), fmt::arg("n", count), fmt::arg("s", plural_s(count)), facts...));
}

}  // namespace sluice
