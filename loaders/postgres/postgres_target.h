// PostgreSQL as a load target: one transaction per load on one connection. Inside it: an advisory
// lock per table, the table checked (or created), the month's old rows deleted when replacing,
// COPY FROM STDIN fed chunk by chunk, and a row in the load history. Nothing is visible to other
// sessions until commit, so a QC failure, a COPY error, a killed process or a server restart
// leaves every table exactly as it was.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/dates.h"
#include "loaders/load_target.h"
#include "loaders/pipeline.h"
#include "warehouse/postgres/connection.h"
#include "warehouse/postgres/postgres_warehouse.h"
#include "warehouse/warehouse.h"

namespace sluice {

class PostgresTarget final : public LoadTarget {
 public:
  // `conninfo` is asked for at begin() (it may start the embedded server).
  PostgresTarget(std::function<std::string()> conninfo, std::string schema);
  ~PostgresTarget() override;

  Warehouse& warehouse() override { return *warehouse_; }
  std::string display_table(const TableSpec& table) const override;
  void configure(PipelineOptions& options) const override;
  bool rows_visible_before_commit() const override { return true; }
  void begin(std::int64_t job_id) override;
  bool prepare_table(const TableSpec& table, bool create) override;
  std::uint64_t open_file(const TargetFile& file, ChunkRecorder record) override;
  ChunkSink& file_sink() override { return sink_; }
  void abandon_file() noexcept override;
  std::uint64_t close_file(const TargetFile& file, const SentRows& sent) override;
  std::string staged_relation(const TargetFile& file) override;
  void publish_staged(const TargetFile& file, std::uint64_t rows) override;
  void add_history(const TargetFile& file, const HistoryRecord& record) override;
  std::map<std::size_t, Committed> commit(ProgressSink& progress) override;
  void abandon() noexcept override;

  const std::string& schema() const { return schema_; }

 private:
  std::string qualified_table(const TableSpec& table) const;
  std::uint64_t delete_range(const TableSpec& table, const DateRange& range);

  // COPY FROM STDIN, fed by the scan's chunks. A chunk with QC errors aborts the COPY (the load is
  // doomed) while the scan goes on to report everything. With `skip_limit`, chunks with bad rows
  // are still sent (the scanner left those rows out) until more than *skip_limit rows were set aside.
  struct CopySink final : ChunkSink {
    void consume(const ScannedChunk& chunk) override;
    pg::Connection* conn = nullptr;
    bool active = false;
    bool doomed = false;
    std::optional<std::uint64_t> skip_limit;
    std::uint64_t rows_set_aside = 0;
    std::string destination;  // for the job log: "postgres:schema.table"
    ChunkRecorder record;
  };

  std::function<std::string()> conninfo_;
  std::unique_ptr<pg::Connection> conn_;
  std::string schema_;
  std::unique_ptr<PostgresWarehouse> warehouse_;
  CopySink sink_;
  std::string staging_;  // --qc warehouse: the current file's temporary table
  std::map<std::size_t, Committed> added_;
  bool in_transaction_ = false;
};

}  // namespace sluice
