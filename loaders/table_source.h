// A table to copy rows from, beside the file scan: the other way rows reach a LoadTarget
// (loaders/load_target.h). `sluice migrate` reads SQLite, PostgreSQL and Snowflake tables through
// it into the same COPY sink, progress and job records a file load uses. A source says what the
// table is, how to cut it into ranges that can be copied (and resumed) apart, and reads one range
// as COPY text (PostgreSQL's text format: tab-separated, \N for NULL, backslash escapes), in
// batches handed to a ChunkSink as ScannedChunks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.h"
#include "core/column_type.h"
#include "core/progress.h"
#include "loaders/migrate/column_mapping.h"
#include "loaders/pipeline.h"

namespace sluice {

struct SourceColumn {
  std::string name;                 // as the source spells it
  std::string declared_type;        // as the source declares it ("numeric(20,2)", "TEXT", ...)
  std::optional<ColumnType> type;   // sluice's type for it; nullopt when it has none
  bool nullable = true;
  ColumnMapping mapping;            // the PostgreSQL column it becomes
};

// An index of the source table, rebuilt on the target after the data.
struct SourceIndex {
  std::string name;
  bool unique = false;
  std::vector<std::string> columns;
};

// The rows an incremental sync reads (docs/sync.md): those whose watermark, the columns compared
// as one ordered tuple, lies in [from, to] (`from` exclusive when !from_inclusive), and those with a
// NULL in the watermark when `with_nulls`. Bounds are the values as the source printed them
// (watermark_extent), bound as parameters by each source; an empty bound is no bound.
struct WatermarkWindow {
  std::vector<std::string> columns;  // as the source spells them
  std::vector<std::string> from, to;
  bool from_inclusive = true;
  bool with_nulls = false;
};

// The condition selecting a window's rows, in SQL that SQLite, PostgreSQL and Snowflake all read:
// `columns` quoted by the caller's dialect, `from` and `to` the placeholders its values are bound
// to (empty: unbounded). Tuples compare lexicographically: (a, b) >= (x, y) is
// a > x OR (a = x AND b >= y).
std::string watermark_window_sql(const std::vector<std::string>& columns, const std::vector<std::string>& from,
                                 bool from_inclusive, const std::vector<std::string>& to, bool with_nulls);

// The greatest watermark among rows without a NULL in it (nullopt: no such row), as the source
// prints values it reads back exactly, and how many rows have a NULL in it (the table's filter applied).
struct WatermarkExtent {
  std::optional<std::vector<std::string>> max;
  std::uint64_t null_rows = 0;
};

struct SourceTable {
  std::string schema, name;         // as the source spells them
  std::vector<SourceColumn> columns;
  std::uint64_t estimated_rows = 0; // the source's statistics; 0 when unknown
  std::vector<std::string> primary_key;  // column names, in key order; empty when none
  std::vector<SourceIndex> indexes;      // besides the primary key
  std::string row_id;               // a column-like handle every row has (SQLite's rowid); "" when none
  std::string filter;               // a condition in the source's SQL every read applies ("" = all rows)
  // The point in the source's history every read is made at (pin_snapshot), so counts, ranges and
  // rows agree while the source changes; "" = the source as it is at each read.
  std::string snapshot;
  // read_range writes binary COPY rows (set by the reader, where copies_binary allows it).
  bool binary = false;
  // An incremental sync's window: every read and count takes only its rows.
  std::optional<WatermarkWindow> window;
};

// A value the target column cannot take as it is (SQLite is dynamically typed): where, what and why.
struct ValueProblem {
  std::string table, column;
  std::string row;                  // "rowid 17", or the key
  std::string value;                // as the source holds it, for display
  std::string reason;               // "text in an integer column"
};

// What a source does with a row holding such a value: nullptr (the default) stops the read with
// a located error; a handler is told and the row is left out.
using ValueProblemHandler = std::function<void(const ValueProblem&)>;

// Tells `handler` of the problem, or without one throws the error that stops the read (exit 3):
// table.column and why, the row and the value, and what to do (`fix_where`: "the file",
// "Snowflake"). `target_type` is what the column becomes in PostgreSQL.
void report_value_problem(const ValueProblem& problem, std::string_view target_type, std::string_view fix_where,
                          const ValueProblemHandler& handler);

// The rows whose `column` lies in [first, last]; the whole table when `column` is empty.
struct SourceRange {
  std::string column;
  std::int64_t first = 0, last = 0;
  std::string label() const;        // "id 1..250000", or "all rows"
};

// About `parts` ranges of equal width that cover [lo, hi] of `column`, in order.
std::vector<SourceRange> equal_ranges(const std::string& column, std::int64_t lo, std::int64_t hi, std::size_t parts);

// Gathers a range's COPY text rows into batches of about `chunk_bytes` and hands each to the sink
// as a ScannedChunk (rows numbered from 1: a table has no lines), reporting progress as it goes.
// Both sources write rows through it.
class CopyBatcher {
 public:
  CopyBatcher(ChunkSink& sink, std::size_t chunk_bytes, ProgressSink& progress, const Cancellation& cancel,
              std::string subject);
  // Where the next row's text goes; end_row() after it.
  std::string& text() { return batch_; }
  void end_row();
  // Hands over what is left; returns the rows handed over in all.
  std::uint64_t finish();

 private:
  void flush();

  ChunkSink& sink_;
  std::size_t chunk_bytes_;
  ProgressSink& progress_;
  const Cancellation& cancel_;
  std::string subject_;
  std::string batch_;
  ScannedChunk chunk_;
  std::uint64_t rows_total_ = 0, bytes_total_ = 0;
};

// An order-independent digest of a range's rows computed by an engine in SQL: the row count and
// aggregates as the engine prints them. What the aggregates are is the source's (a PostgreSQL
// source: the sum of a 64-bit hash of each row's text; Snowflake: see snowflake_source.h); the
// source also writes the PostgreSQL query that computes them over the target's copy.
struct RangeFingerprint {
  std::uint64_t rows = 0;
  std::vector<std::string> values;  // sums do not wrap: they print as numerics
  bool operator==(const RangeFingerprint&) const = default;
};

// The SQL of a fingerprint over `columns` (already quoted) of `relation_and_where`, for
// PostgreSQL: the same expression on the source and on the target, so equal rows give equal digests.
std::string postgres_fingerprint_sql(const std::string& columns, const std::string& relation_and_where);
// The session settings that decide how values print, made the same on both sides first (two
// servers may differ in TimeZone or DateStyle while holding the same rows).
inline constexpr const char* kFingerprintSettings =
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1";

class TableSource {
 public:
  virtual ~TableSource() = default;
  // The tables of `schema` ("" = the source's default), sorted by name.
  virtual std::vector<std::string> list_tables(const std::string& schema) = 0;
  // Throws a usage Error when the table does not exist.
  virtual SourceTable describe(const std::string& schema, const std::string& table) = 0;
  // About `parts` ranges of equal width over the integer column `chunk_by` (its min..max), or one
  // range of all rows without it. Every row is in exactly one range (NULLs of `chunk_by` in the
  // last one).
  virtual std::vector<SourceRange> plan_ranges(const SourceTable& table, const std::string& chunk_by,
                                               std::size_t parts) = 0;
  // Fixes the point in the table's history that reads of `table` with this snapshot are made at,
  // for as long as the source keeps it (Snowflake: Time Travel to the statement that pinned it).
  // "" when the source cannot (reads then see the table as it is).
  virtual std::string pin_snapshot(const SourceTable& /*table*/) { return {}; }
  // Whether read_range can write PostgreSQL's binary COPY format (signature, tuples, trailer)
  // rather than COPY text, when the table's `binary` asks for it: a PostgreSQL source whose columns
  // all keep their type can, so neither server converts values to text and back. The COPY that
  // takes the rows says FORMAT binary then.
  virtual bool copies_binary(const SourceTable& /*table*/) const { return false; }
  // The fingerprint of `range` computed by the source's own engine, equal to what
  // target_fingerprint_sql computes over the target's copy when the rows are the same; nullopt
  // when the source cannot compute one its target would match (the range is then read again and
  // compared row by row).
  virtual std::optional<RangeFingerprint> fingerprint(const SourceTable& /*table*/, const SourceRange& /*range*/) {
    return std::nullopt;
  }
  // The PostgreSQL query computing that fingerprint over `relation_and_where` of the target:
  // `target_columns` are the target's names (quoted) of table.columns, in their order. Its first
  // column is the row count, the others the fingerprint's values. "" when fingerprint gives none.
  virtual std::string target_fingerprint_sql(const SourceTable& /*table*/, const std::vector<std::string>& /*target_columns*/,
                                             const std::string& /*relation_and_where*/) const {
    return {};
  }
  // A hint that `range` will be read next by this source: it may start the work in the source now
  // (Snowflake: submit the range's unload, which runs while the current range is copied).
  // read_range of that range then uses it; a range prepared and never read is abandoned.
  virtual void prepare_range(const SourceTable& /*table*/, const SourceRange& /*range*/) {}
  virtual bool prepares_ranges() const { return false; }  // prepare_range does something
  // Removes what reads of the job left outside the target (Snowflake: unloaded files of a run that
  // was killed mid-read). Called when no read of the job is running.
  virtual void remove_leftovers() {}
  // Incremental sync. The extent of the watermark `columns` (the table's filter applied, not its
  // window), at the table's snapshot.
  virtual WatermarkExtent watermark_extent(const SourceTable& table, const std::vector<std::string>& columns) = 0;
  // `bound` (a one-column watermark's value, as watermark_extent printed it) lowered by `amount`:
  // the watermark's units for a number, seconds for a date or time (lookback).
  virtual std::string lower_watermark(const SourceTable& table, const std::string& column, const std::string& bound,
                                      double amount) = 0;
  // The rows a whole read would give (the table's filter applied): the count a copy reconciles with.
  virtual std::uint64_t count_rows(const SourceTable& table) = 0;
  // Reads `range` as COPY text (or binary, copies_binary) in chunks of about `chunk_bytes`; returns
  // the rows read (rows left out for their values not counted).
  virtual std::uint64_t read_range(const SourceTable& table, const SourceRange& range, ChunkSink& sink,
                                   std::size_t chunk_bytes, ProgressSink& progress, const Cancellation& cancel,
                                   const ValueProblemHandler& problems = {}) = 0;
};

}  // namespace sluice
