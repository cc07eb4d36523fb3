#include "validators/file_qc/findings.h"

#include <algorithm>
#include <array>

#include "validators/file_qc/utf8.h"

namespace sluice {
namespace {

using enum Check;
using enum CheckScope;
constexpr Severity kError = Severity::error;
constexpr Severity kWarning = Severity::warning;

// {check, id, severity, scope, message, detail, hint, reason}, in the order of Check.
constexpr CheckInfo kChecks[] = {
    {column_count, "column_count", kError, row, "{n} row{s} with a number of fields other than {expected}", "",
     "Check the file's delimiter and quoting: a value that holds the delimiter or a line break must be quoted (CSV) "
     "or escaped (TSV).",
     "wrong number of fields: {note}"},
    {unterminated_quote, "unterminated_quote", kError, row, "a quoted field is never closed", "",
     "Close the quote, or double a quote that is part of a value (\"\").", "quoted field never closed"},
    {stray_quote, "stray_quote", kWarning, value,
     "{n} field{s} with a quote that RFC 4180 does not allow there, read as text",
     "A quote inside an unquoted field is kept as text, and so is text after a closing quote, as PostgreSQL and "
     "Python's csv module read them.",
     "If the file escapes quotes with a backslash (\\\"), these values are not what was written: the producer must "
     "double them (\"\").",
     ""},
    {invalid_utf8, "invalid_utf8", kError, row, "{n} row{s} with bytes that are not valid UTF-8 (or a NUL byte)",
     "The examples show each such byte as \\xHH.",
     "If the file is latin-1 (ISO-8859-1) or Windows-1252 (\"ANSI\"), set encoding: latin-1 (or windows-1252) for "
     "the table.",
     "not valid UTF-8 at column {position} ({note})"},
    {type, "type", kError, row, "{n} value{s} that the column's type does not accept", "",
     "Fix the values in the file, or declare the column with a type that takes them.", "{note}: {value}"},
    {required_empty, "required_empty", kError, row, "{n} empty value{s} in required columns", "",
     "Fill in the values, or drop required: true from the column in the config.", "required value missing: {note}"},
    {date_empty, "date_empty", kError, row, "{n} row{s} with no value in date column {column}", "",
     "Every row needs a day in the date column: fill it in, or choose another date_column.", "no date in {column}"},
    {date_unparseable, "date_unparseable", kError, row,
     "{n} row{s} with a value in {column} that is not a valid date ({forms})", "",
     "Fix the dates, or set the table's date_format to the way the file writes them.",
     "not a valid date in {column}: {value}"},
    {date_out_of_range, "date_out_of_range", kError, row, "{n} row{s} dated outside the expected range {range}", "",
     "Check that the file holds the days it is loaded for (--month, or the dates in its name).",
     "date outside the expected range in {column}: {value}"},
    {header, "header", kError, file, "the header row does not match the configured columns", "",
     "The config's columns must be the file's, in the file's order: fix the header or the config.", ""},
    {missing_days, "missing_days", kError, file, "{n} day{s} of {range} have no rows", "",
     "A day without rows is usually a day the export missed: check the source for those days.", ""},
    {day_anomalies, "day_anomalies", kError, file,
     "{n} day{s} with far fewer rows than the others ({stats}){low_days_warn}", "",
     "Check those days in the source; where thin days are normal for the table (weekends, holidays), set "
     "low_days: warn in its entry.",
     ""},
    {unusual_days, "unusual_days", kWarning, file, "{n} day{s} with unusual row counts ({stats})", "", "", ""},
    {duplicate_key, "duplicate_key", kError, file,
     "{keys} key{keys_s} ({columns}) {occur} on more than one row: {n} extra row{s}", "",
     "Remove the repeated rows from the file, or check the table's duplicate_key columns.", ""},
    {max_errors, "max_errors", kError, file, "{n} bad rows, more than --max-errors {limit}: nothing of this file is loaded",
     "", "Fix the rows, or raise --max-errors if that many may be set aside.", ""},
    {table_missing, "table_missing", kError, table, "table {table} does not exist", "",
     "Load a month with --create first, or check the table's name and the connection's schema.", ""},
    {columns_missing, "columns_missing", kError, table, "{table} lacks {n} configured column{s}", "",
     "Add the columns to the table, or remove them from the config.", ""},
    {date_checks_skipped, "date_checks_skipped", kWarning, table,
     "{table} has no date_column: the checks by day (missing days, rows per day{range}) were skipped; the other "
     "checks ran over the whole table",
     "", "", ""},
    {empty, "empty", kError, table, "{table} has no rows", "", "", ""},
    {duplicate_keys, "duplicate_keys", kError, table,
     "{keys} key{s} of ({columns}) occur more than once in {table}: {excess} excess row{excess_s}, at most {max} rows "
     "for one key",
     "", "Delete the repeated rows, or check the table's duplicate_key columns.", ""},
    {required_nulls, "required_nulls", kError, table, "{nulls} NULL{s} in {columns} required column{columns_s}", "",
     "Fill in the values, or drop required: true from the column in the config.", ""},
    {date_null, "date_null", kWarning, table, "{rows} row{s} with no {column} (in no day)", "", "", ""},
    {history_mismatch, "history_mismatch", kError, table, "{table} holds {actual} rows in {range} but the load history says {expected}",
     "", "Compare the month's file with the table: sluice compare FILE.", ""},
};

constexpr bool in_check_order() {
  for (std::size_t i = 0; i < std::size(kChecks); ++i)
    if (static_cast<std::size_t>(kChecks[i].check) != i) return false;
  return std::size(kChecks) == static_cast<std::size_t>(history_mismatch) + 1;
}
static_assert(in_check_order(), "kChecks has one row per Check, in the enum's order");

}  // namespace

const CheckInfo& check_info(Check check) { return kChecks[static_cast<std::size_t>(check)]; }

std::optional<Check> check_from_id(std::string_view id) {
  for (const CheckInfo& c : kChecks)
    if (c.id == id) return c.check;
  return std::nullopt;
}

Finding make_finding_saying(Check check, std::uint64_t count, std::string message) {
  const CheckInfo& c = check_info(check);
  Finding f;
  f.check = check;
  f.severity = c.severity;
  f.message = std::move(message);
  f.count = count;
  if (!c.detail.empty()) f.details.emplace_back(c.detail);
  f.hint = c.hint;
  return f;
}

std::string reject_reason(Check check, const Example& e, std::string_view column) {
  return fmt::format(fmt::runtime(check_info(check).reason), fmt::arg("column", column), fmt::arg("value", e.value),
                     fmt::arg("note", e.note), fmt::arg("position", e.column));
}

void ExampleList::merge(ExampleList&& later, std::uint64_t line_offset) {
  count_ += later.count_;
  for (auto& e : later.examples_) {
    if (!keeps_more()) break;
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
