// A Snowflake table as a TableSource (loaders/table_source.h), over the SQL API and the stage's S3
// bucket: no driver, and nothing Snowflake's session defaults decide.
//
// - Types from INFORMATION_SCHEMA.COLUMNS, mapped by snowflake_column_mapping.
// - Every read names each column's output itself (TO_VARCHAR with nanoseconds and the offset,
//   FLOAT as TME: every digit, BINARY as hex, VARIANT as JSON), because an unload's defaults drop
//   precision (milliseconds, 15 float digits; ../shared/docs/migration-facts.md §1.5).
// - A range is unloaded with COPY INTO @stage/migrate/<job>/<table>/<attempt>/ as zstd CSV files
//   (tab-separated, backslash-escaped, \N for NULL: PostgreSQL's COPY text but for carriage returns),
//   and only the files the unload reports (DETAILED_OUTPUT) are read, piece by piece with ranged
//   GetObject, decoded as they arrive, and removed afterwards with whatever else the attempt's folder
//   holds (a retried unload's strays). A table of at most `small_table_rows` rows is read through
//   the SQL API's result partitions instead.
// - pin_snapshot runs one statement whose id every later read names in AT(STATEMENT => ...), so
//   the count, the ranges and the rows are those of one moment while the table changes.
// - verify's fingerprint of a range is computed by both engines in SQL: the sum of
//   MD5_NUMBER_LOWER64 of each row's text, made of values both engines print alike (column_text);
//   a table with a VARIANT or a cast column has none (its ranges are compared row by row).
// - A value PostgreSQL cannot hold as it is (U+0000 in text or JSON, a time with nanoseconds in a
//   column not cast) is a ValueProblem with table, column and row.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/cancellation.h"
#include "core/config_model.h"
#include "loaders/table_source.h"

namespace sluice {

namespace snowflake {
class SqlApiClient;
}
namespace s3 {
class S3Client;
}
class SnowflakeRowWriter;

struct SnowflakeSourceSettings {
  std::string job;                         // the migration: names the unload's folder on the stage
  std::uint64_t small_table_rows = 100000;  // tables up to this many rows: result partitions, no unload
  std::uint64_t max_file_size = 128ull << 20;  // MAX_FILE_SIZE of an unload
  std::size_t read_piece = 8u << 20;       // bytes of an unloaded file fetched at a time
  const Cancellation* cancel = nullptr;
};

class SnowflakeTableSource final : public TableSource {
 public:
  SnowflakeTableSource(const SnowflakeConnection& connection, SnowflakeSourceSettings settings);
  ~SnowflakeTableSource() override;

  std::vector<std::string> list_tables(const std::string& schema) override;
  SourceTable describe(const std::string& schema, const std::string& table) override;
  std::string pin_snapshot(const SourceTable& table) override;
  // Everything under the job's folder on the stage.
  void remove_leftovers() override;
  // Submits the range's unload (asynchronously); read_range waits for it instead of running it.
  void prepare_range(const SourceTable& table, const SourceRange& range) override;
  bool prepares_ranges() const override { return !connection_.stage.name.empty(); }
  std::uint64_t count_rows(const SourceTable& table) override;
  // Values print as a read prints them (TO_VARCHAR to the nanosecond, with the offset), and are
  // compared as literals of the column's type (watermark_literal).
  WatermarkExtent watermark_extent(const SourceTable& table, const std::vector<std::string>& columns) override;
  std::string lower_watermark(const SourceTable& table, const std::string& column, const std::string& bound,
                              double amount) override;
  std::vector<SourceRange> plan_ranges(const SourceTable& table, const std::string& chunk_by, std::size_t parts) override;
  std::optional<RangeFingerprint> fingerprint(const SourceTable& table, const SourceRange& range) override;
  std::string target_fingerprint_sql(const SourceTable& table, const std::vector<std::string>& target_columns,
                                     const std::string& relation_and_where) const override;
  std::uint64_t read_range(const SourceTable& table, const SourceRange& range, ChunkSink& sink, std::size_t chunk_bytes,
                           ProgressSink& progress, const Cancellation& cancel,
                           const ValueProblemHandler& problems = {}) override;

  // The SELECT list a read uses: each column as the text PostgreSQL reads back exactly.
  static std::string select_list(const SourceTable& table);

 private:
  s3::S3Client& stage();
  std::string job_folder() const;  // "migrate/<job>/"
  std::string relation(const SourceTable& table) const;
  std::string range_condition(const SourceTable& table, const SourceRange& range) const;
  void read_partitions(const SourceTable& table, const std::string& where, SnowflakeRowWriter& writer);
  void read_unloaded(const SourceTable& table, const SourceRange& range, const std::string& where, SnowflakeRowWriter& writer);

  const SnowflakeConnection& connection_;
  SnowflakeSourceSettings settings_;
  std::unique_ptr<snowflake::SqlApiClient> sql_;
  std::unique_ptr<s3::S3Client> s3_;
  std::string stage_prefix_;  // the stage's key prefix in its bucket ("sluice/")
  bool reads_partitions(const SourceTable& table) const;
  std::string unload_sql(const SourceTable& table, const std::string& where, const std::string& folder) const;
  // Unloads submitted by prepare_range and not read yet, by range: the folder and the statement.
  struct Prepared {
    std::string folder, handle;
  };
  std::map<std::string, Prepared> prepared_;
  // The rows pin_snapshot counted, by snapshot: count_rows at that snapshot is that number.
  std::map<std::string, std::uint64_t> pinned_counts_;
};

}  // namespace sluice
