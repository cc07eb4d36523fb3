// A PostgreSQL table as a TableSource (loaders/table_source.h): the catalog says its columns and
// types (format_type, as the load's table check reads them), min/max of the chunk column plan the
// ranges, and COPY (SELECT ... WHERE range) TO STDOUT reads one, so the rows arrive already in the
// COPY text a PostgreSQL target takes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "loaders/table_source.h"
#include "warehouse/postgres/connection.h"

namespace sluice {

class PostgresTableSource final : public TableSource {
 public:
  explicit PostgresTableSource(pg::Connection& conn) : conn_(conn) {}
  // Owns the connection it reads through (a migration's source).
  explicit PostgresTableSource(pg::Connection&& owned)
      : owned_(std::make_unique<pg::Connection>(std::move(owned))), conn_(*owned_) {}

  std::vector<std::string> list_tables(const std::string& schema) override;
  SourceTable describe(const std::string& schema, const std::string& table) override;
  std::uint64_t count_rows(const SourceTable& table) override;
  // Values print as the source's types print them in UTC with every float digit, and are cast back
  // to the column's type, so a bound compares as the value it was read from.
  WatermarkExtent watermark_extent(const SourceTable& table, const std::vector<std::string>& columns) override;
  std::string lower_watermark(const SourceTable& table, const std::string& column, const std::string& bound,
                              double amount) override;
  std::vector<SourceRange> plan_ranges(const SourceTable& table, const std::string& chunk_by, std::size_t parts) override;
  // Every column keeps its type (no cast): the target's COPY reads the source's binary rows.
  bool copies_binary(const SourceTable& table) const override;
  // With the types kept (copies_binary), the target prints every value as the source does.
  std::optional<RangeFingerprint> fingerprint(const SourceTable& table, const SourceRange& range) override;
  std::string target_fingerprint_sql(const SourceTable& table, const std::vector<std::string>& target_columns,
                                     const std::string& relation_and_where) const override;
  std::uint64_t read_range(const SourceTable& table, const SourceRange& range, ChunkSink& sink, std::size_t chunk_bytes,
                           ProgressSink& progress, const Cancellation& cancel,
                           const ValueProblemHandler& problems = {}) override;

 private:
  // " WHERE ..." of a range, the table's filter and its window ("" for all rows). A window's bounds
  // are session settings (sluice.wm_from_N, sluice.wm_to_N) set from parameters, as COPY takes none.
  std::string range_where(const SourceTable& table, const SourceRange& range);
  void make_print_settings();
  std::unique_ptr<pg::Connection> owned_;
  pg::Connection& conn_;
  bool print_settings_made_ = false;  // kFingerprintSettings, once per connection
};

}  // namespace sluice
