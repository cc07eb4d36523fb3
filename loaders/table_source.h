// A table to copy rows from, beside the file scan: the other way rows reach a LoadTarget
// (loaders/load_target.h). `sluice migrate` reads SQLite, PostgreSQL and Snowflake tables through
// it into the same COPY sink, progress and job records a file load uses. A source says what the
// table is, how to cut it into ranges that can be copied (and resumed) apart, and reads one range
// as COPY text (PostgreSQL's text format: tab-separated, \N for NULL, backslash escapes), in
// batches handed to a ChunkSink as ScannedChunks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/column_type.h"
#include "core/progress.h"
#include "loaders/pipeline.h"

namespace sluice {

struct SourceColumn {
  std::string name;                 // as the source spells it
  std::string declared_type;        // as the source declares it ("numeric(20,2)", "TEXT", ...)
  std::optional<ColumnType> type;   // sluice's type for it; nullopt when it has none
  bool nullable = true;
};

struct SourceTable {
  std::string schema, name;         // as the source spells them
  std::vector<SourceColumn> columns;
  std::uint64_t estimated_rows = 0; // the source's statistics; 0 when unknown
};

// The rows whose `column` lies in [first, last]; the whole table when `column` is empty.
struct SourceRange {
  std::string column;
  std::int64_t first = 0, last = 0;
  std::string label() const;        // "id 1..250000", or "all rows"
};

class TableSource {
 public:
  virtual ~TableSource() = default;
  // Throws a usage Error when the table does not exist.
  virtual SourceTable describe(const std::string& schema, const std::string& table) = 0;
  // About `parts` ranges of equal width over the integer column `chunk_by` (its min..max), or one
  // range of all rows without it. Every row is in exactly one range (NULLs of `chunk_by` in the
  // last one).
  virtual std::vector<SourceRange> plan_ranges(const SourceTable& table, const std::string& chunk_by,
                                               std::size_t parts) = 0;
  // Reads `range` as COPY text in chunks of about `chunk_bytes`; returns the rows read.
  virtual std::uint64_t read_range(const SourceTable& table, const SourceRange& range, ChunkSink& sink,
                                   std::size_t chunk_bytes, ProgressSink& progress, const Cancellation& cancel) = 0;
};

}  // namespace sluice
