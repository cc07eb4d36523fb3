// The Scanner stage: walks the rows and fields of one row-aligned chunk, feeds the QC accumulators,
// and (when loading) writes the rows in the warehouse's format: PostgreSQL's COPY text, or the CSV
// staged for Snowflake (CopyFormat). One pass, no allocation per field: the output buffer and the
// CSV unquoting scratch are reused from chunk to chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "loaders/csv/row_walker.h"
#include "loaders/scan/file_syntax.h"
#include "validators/file_qc/duplicate_keys.h"
#include "validators/file_qc/file_qc.h"

namespace sluice {

// Sees every field of every row, inside the scan worker (for profiling: analyze).
// One observer per chunk slot; the pipeline's sink reads and resets it after each chunk, in order.
class FieldObserver {
 public:
  virtual ~FieldObserver() = default;
  // `field` is 0-based; `line` is chunk-relative (0-based); the value is unquoted.
  virtual void field(int field, const char* data, std::size_t size, bool is_null, std::uint64_t line) = 0;
  // After the row's fields; `well_formed` is false for a row with any row-level QC error (a wrong
  // number of fields, whose fields were seen only up to the expected count, a bad value, ...).
  virtual void row_end(bool well_formed) = 0;
};

// What encode_copy writes.
enum class CopyFormat {
  // PostgreSQL's COPY text: tab-separated, \N for NULL, backslash escapes.
  postgres_text,
  // The CSV staged for Snowflake (SnowflakeTarget::file_format), where every byte means what
  // Snowflake's documentation says it means: tab-separated, one record a line, NULL the empty
  // field; a value that is empty, holds a tab, newline, carriage return or double quote, or (first
  // in its row) starts with a byte order mark is enclosed in double quotes with its quotes doubled;
  // nothing else is escaped (a backslash is a backslash). A one-column table's records get a
  // second, empty field: its NULL would otherwise be a blank line, which Snowflake documents as an
  // error (SnowflakeTarget::file_format). For a syntax whose rows already are that text
  // (FileSyntax::rows_are_snowflake_csv), a row whose values need no enclosing is copied whole.
  snowflake_csv,
};

struct ScanConfig {
  FileSyntax syntax;
  const QcSettings* qc = nullptr;  // required
  bool encode_copy = false;        // write each good row in copy_format (ChunkScanResult::copy)
  CopyFormat copy_format = CopyFormat::postgres_text;
  bool skip_bad_rows = false;      // --on-error skip: keep bad rows (up to max_rejects_kept) for the reject file
  std::size_t max_rejects_kept = 0;
};

// A row set aside by --on-error skip: where, why, and its bytes as read.
struct RejectedRow {
  std::uint64_t line = 0;  // chunk-relative until the sink adds the chunk's first line
  std::uint64_t row = 0;   // chunk-relative 0-based row number
  std::string reason;
  std::string text;
};

struct ChunkScanResult {
  std::uint64_t rows = 0;           // rows seen, bad ones included
  std::uint64_t rejected_rows = 0;  // rows with a row-level QC error (never in `copy`)
  std::vector<RejectedRow> rejects; // with skip_bad_rows
  std::uint64_t lines = 0;          // physical lines consumed (a quoted newline adds one)
  bool rows_span_lines = false;     // some row spans lines: row number != line number
  ChunkQc qc;
  std::vector<char> copy;           // COPY text; valid up to copy_size
  std::size_t copy_size = 0;
  // The COPY text is the scanned bytes themselves (CopyFormat::snowflake_csv, every row staged
  // whole): `copy` was not written.
  bool copy_is_input = false;
  std::string scratch;              // CSV unquoting
  std::string decoded;              // an escaped TSV's value decoded (CopyFormat::snowflake_csv)
  bool utf8_suspect = false;        // the chunk has bytes that are not valid UTF-8
  FieldObserver* observer = nullptr; // optional; owned by the pipeline's slot
  // With QcSettings::key_fields: the slot's hasher, and one (hash, chunk-relative line) per row
  // that passed its row checks (a set-aside or failing row is not a duplicate of anything loaded).
  RowKeyHasher* key_hasher = nullptr;
  std::vector<KeyHash> key_hashes;

  void reset() {
    rows = lines = rejected_rows = 0;
    rejects.clear();
    rows_span_lines = false;
    qc = ChunkQc{};
    copy_size = 0;
    copy_is_input = false;
    key_hashes.clear();
  }
};

// Scans `size` bytes of whole rows (the last row may lack its newline). Line numbers in the
// results are 0-based and relative to the chunk's first byte.
void scan_chunk(const char* data, std::size_t size, const ScanConfig& config, ChunkScanResult& out);

}  // namespace sluice
