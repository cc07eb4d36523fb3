// A table of a SQLite file as a TableSource (loaders/table_source.h), read-only. The schema comes
// from SQLite's pragmas (declared types, NOT NULL, primary key, indexes, STRICT, WITHOUT ROWID);
// the mapping of each column to PostgreSQL from its declared type's affinity
// (column_mapping.h), and for a column without a declared type from what it holds (profile()).
// Ranges are rowid ranges (a WITHOUT ROWID table: ranges of its integer key, else one range), read
// with prepared statements and written as COPY text value by value (sqlite_values.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "loaders/table_source.h"
#include "warehouse/sqlite/database.h"

namespace sluice {

// How many values of each storage class a column holds.
struct StorageCounts {
  std::uint64_t nulls = 0, integers = 0, reals = 0, texts = 0, blobs = 0;
  // "integer", "real", "text", "blob" when every non-NULL value is of that class; "" otherwise.
  std::string only_class() const;
};

struct TableProfile {
  std::uint64_t rows = 0;
  std::vector<StorageCounts> columns;  // in the table's column order
};

class SqliteTableSource final : public TableSource {
 public:
  // Opens the file read-only; throws a runtime Error naming it when that fails.
  explicit SqliteTableSource(const std::filesystem::path& path);

  std::vector<std::string> list_tables(const std::string& schema) override;
  SourceTable describe(const std::string& schema, const std::string& table) override;
  std::vector<SourceRange> plan_ranges(const SourceTable& table, const std::string& chunk_by, std::size_t parts) override;
  std::uint64_t read_range(const SourceTable& table, const SourceRange& range, ChunkSink& sink, std::size_t chunk_bytes,
                           ProgressSink& progress, const Cancellation& cancel,
                           const ValueProblemHandler& problems = {}) override;

  std::uint64_t count_rows(const SourceTable& table) override;
  // Values print as "<storage class>:<value>" (integer:42, real:0.5, text:2024-01-05, blob:00ff), so
  // a bound is bound back in the class it was read in and compares as SQLite compared it.
  WatermarkExtent watermark_extent(const SourceTable& table, const std::vector<std::string>& columns) override;
  std::string lower_watermark(const SourceTable& table, const std::string& column, const std::string& bound,
                              double amount) override;
  // One pass over the table: its rows and each column's storage classes (SQLite's typeof()), for
  // the columns `only` marks (all when empty; the others' counts stay 0).
  TableProfile profile(const SourceTable& table, const std::vector<bool>& only = {});
  // Maps the columns that have no declared type by what `profile` found in them.
  static void type_by_contents(SourceTable& table, const TableProfile& profile);


 private:
  sqlite::Database db_;
};

// A SQLite identifier, double-quoted with inner quotes doubled.
std::string sqlite_identifier(std::string_view name);

}  // namespace sluice
