#include "tests/fuzz/fuzz_case.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace sluice::fuzz {
namespace {

// Small enough to choose with 3 bits; one of each family the checkers handle differently.
const std::array<std::optional<ColumnType>, 8> kColumnTypes = {
    std::nullopt,                                     // text: no check
    ColumnType{ColumnKind::varchar, 5, 0, 0},
    ColumnType{ColumnKind::smallint, 0, 0, 0},
    ColumnType{ColumnKind::bigint, 0, 0, 0},
    ColumnType{ColumnKind::numeric, 0, 6, 2},
    ColumnType{ColumnKind::double_precision, 0, 0, 0},
    ColumnType{ColumnKind::boolean, 0, 0, 0},
    ColumnType{ColumnKind::timestamp, 0, 0, 0},
};
constexpr std::array<char, 4> kDelimiters = {'\t', ',', ';', '|'};
const std::array<std::string, 4> kNullMarkers = {"", "\\N", "NULL", "NA"};

// Shows control and non-ASCII bytes so a mismatch can be read in a terminal.
std::string visible(std::string_view s, std::size_t limit = 400) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') out += "\\n\n";  // keep one record per line readable
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (s.size() > limit) out += fmt::format("... ({} bytes)", s.size());
  return out;
}

[[noreturn]] void fail(std::string_view message, const FuzzCase& fuzz_case) {
  std::fprintf(stderr, "\nsluice fuzz invariant broken: %.*s\ncase: %s\ncontent (%zu bytes): %s\n",
               static_cast<int>(message.size()), message.data(), fuzz_case.summary.c_str(),
               fuzz_case.content.size(), visible(fuzz_case.content).c_str());
  std::abort();
}

}  // namespace

FuzzCase decode_case(const std::uint8_t* data, std::size_t size) {
  std::array<std::uint8_t, kConfigBytes> b{};
  std::copy_n(data, std::min(size, kConfigBytes), b.begin());
  FuzzCase c;
  if (size > kConfigBytes) c.content = {reinterpret_cast<const char*>(data) + kConfigBytes, size - kConfigBytes};

  // byte 0: how the file is written
  c.syntax.quoted = b[0] & 1;
  c.syntax.delimiter = kDelimiters[(b[0] >> 1) & 3];
  // As FileSyntax::for_table does: COPY-text escapes are a TSV notion.
  c.syntax.backslash_escapes = (b[0] & 8) && !c.syntax.quoted;
  c.syntax.header = b[0] & 16;
  c.syntax.latin1 = b[0] & 32;
  c.syntax.null_marker = kNullMarkers[(b[0] >> 6) & 3];
  // byte 8, bit 3: the other quote character a config may name
  c.syntax.quote = (b[8] & 8) ? '\'' : '"';

  // byte 1: columns, the date column and how dates are checked
  const int columns = 1 + (b[1] & 7);
  const int date_field = (b[1] >> 3) & 7;
  c.qc.date_field = date_field < columns ? date_field : -1;
  if (b[1] & 64) c.qc.expected_range = DateRange::month(2024, 1);
  if (b[1] & 128) c.qc.date_parser = *DateParser::with_format("%d.%m.%Y");
  c.qc.check_dates = !(b[8] & 4);

  // bytes 2-3: chunk size; byte 3's high bits: short reads. Three scales in four stay near 64..1084
  // bytes: libFuzzer's inputs are mostly a few KiB, and a chunk as large as the file splits nothing.
  static constexpr std::array<std::size_t, 4> kChunkScale = {1, 2, 4, 16};
  c.chunk_bytes = std::min<std::size_t>(4096, 64 + b[2] * kChunkScale[b[3] & 3]);
  c.max_read = (b[3] >> 4) == 0 ? 0 : std::size_t{1} << (b[3] >> 4);  // 2 B .. 32 KiB

  // byte 4: required columns; bytes 5-7: a type per column (3 bits each)
  const std::uint32_t types = b[5] | (b[6] << 8) | (b[7] << 16);
  for (int i = 0; i < columns; ++i) {
    c.qc.column_names.push_back("c" + std::to_string(i + 1));
    c.qc.required.push_back((b[4] >> i) & 1);
    const auto& type = kColumnTypes[(types >> (3 * i)) & 7];
    c.qc.value_checks.push_back(type ? std::optional<ValueChecker>(ValueChecker(*type)) : std::nullopt);
  }

  // byte 8: the engine
  c.workers = (b[8] & 1) ? 2 : 1;
  c.skip_bad_rows = b[8] & 2;
  c.max_rejects_kept = c.skip_bad_rows ? 1 + ((b[8] >> 4) & 7) : 0;
  c.copy_format = (b[8] & 128) ? CopyFormat::snowflake_csv : CopyFormat::postgres_text;

  std::string types_text;
  for (const auto& check : c.qc.value_checks)
    types_text += (types_text.empty() ? "" : ",") + (check ? to_string(check->type()) : std::string("text"));
  c.summary = fmt::format(
      "{} delimiter=0x{:02x} quote={} escapes={} header={} latin1={} null='{}' columns={} types={} "
      "required=0x{:02x} date_field={} range={} format={} check_dates={} chunk_bytes={} max_read={} "
      "workers={} skip_bad_rows={} max_rejects_kept={} copy_format={}",
      c.syntax.quoted ? "csv" : "tsv", c.syntax.delimiter, c.syntax.quote, c.syntax.backslash_escapes,
      c.syntax.header, c.syntax.latin1, c.syntax.null_marker, columns, types_text, b[4] & ((1 << columns) - 1),
      c.qc.date_field, c.qc.expected_range ? c.qc.expected_range->str() : "none",
      c.qc.date_parser.format().empty() ? "auto" : c.qc.date_parser.format(), c.qc.check_dates, c.chunk_bytes,
      c.max_read, c.workers, c.skip_bad_rows, c.max_rejects_kept,
      c.copy_format == CopyFormat::snowflake_csv ? "snowflake_csv" : "postgres_text");
  return c;
}

MemoryFile::MemoryFile() {
  fd_ = ::memfd_create("sluice-fuzz-input", MFD_CLOEXEC);
  if (fd_ < 0) {
    std::perror("memfd_create");
    std::abort();
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemoryFile::~MemoryFile() { ::close(fd_); }

void MemoryFile::assign(std::string_view content) {
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, content.data(), content.size(), 0) != static_cast<ssize_t>(content.size())) {
    std::perror("writing the fuzz input to its memfd");
    std::abort();
  }
}

void RowLog::field(int field, const char* data, std::size_t size, bool is_null, std::uint64_t line) {
  if (field == 0) {
    row_line_ = line;
    row_has_fields_ = true;
    row_.clear();
    values_.clear();
  }
  row_ += fmt::format(" {}{}:", field, is_null ? "N" : "");
  row_.append(data, size);
  values_.push_back(is_null ? std::nullopt : std::optional<std::string>(std::in_place, data, size));
}

void RowLog::row_end(bool well_formed) {
  if (well_formed) staged_rows.push_back(std::move(values_));
  values_.clear();
  // A row whose fields were not looked at (a blank line) tells the observer no line.
  entries_.push_back({row_has_fields_, row_line_, std::move(row_) + (well_formed ? " ok" : " bad")});
  row_.clear();
  row_has_fields_ = false;
}

void RowLog::drain(std::uint64_t first_line, std::string& out) {
  for (const auto& e : entries_) {
    out += e.has_line ? fmt::format("line {}:", e.line + first_line) : std::string("line ?:");
    out += e.text;
    out += '\n';
  }
  entries_.clear();
}

std::string describe(const QcReport& report) {
  std::string out = fmt::format("rows {}\n", report.rows);
  for (const auto& f : report.findings) {
    out += fmt::format("{} {} count={} {}\n", f.id(), f.severity == Severity::error ? "error" : "warning", f.count,
                       f.message);
    for (const auto& e : f.examples)
      out += fmt::format("  line {} column {} field {} value '{}' note '{}'\n", e.line, e.column, e.field, e.value,
                         e.note);
    for (const auto& d : f.details) out += "  " + d + "\n";
    if (!f.hint.empty()) out += "  hint " + f.hint + "\n";
  }
  for (const auto& [fields, rows] : report.rows_by_field_count) out += fmt::format("{} fields: {} rows\n", fields, rows);
  for (const auto& [day, rows] : report.rows_per_day) out += fmt::format("day {} {}\n", format_iso(day), rows);
  if (report.found_range) out += "found " + report.found_range->str() + "\n";
  return out;
}

std::string describe(const RejectedRow& row, std::uint64_t first_line, std::uint64_t first_row) {
  return fmt::format("line {} row {} reason '{}' text '{}'\n", row.line + first_line, row.row + first_row,
                     row.reason, row.text);
}

void require_equal(std::string_view what, std::string_view expected, std::string_view actual,
                   const FuzzCase& fuzz_case) {
  if (expected == actual) return;
  const auto first_difference = static_cast<std::size_t>(
      std::mismatch(expected.begin(), expected.end(), actual.begin(), actual.end()).first - expected.begin());
  const std::size_t from = first_difference > 200 ? first_difference - 200 : 0;
  fail(fmt::format("{} differ at byte {}\n--- expected (from byte {}):\n{}\n--- actual (from byte {}):\n{}", what,
                   first_difference, from, visible(expected.substr(from)), from, visible(actual.substr(from))),
       fuzz_case);
}

void require_equal(std::string_view what, std::uint64_t expected, std::uint64_t actual, const FuzzCase& fuzz_case) {
  if (expected != actual) fail(fmt::format("{}: expected {}, got {}", what, expected, actual), fuzz_case);
}

void require(bool condition, std::string_view what, const FuzzCase& fuzz_case) {
  if (!condition) fail(what, fuzz_case);
}

}  // namespace sluice::fuzz
