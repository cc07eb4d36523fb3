// `sluice restore JOB`: puts back what `sluice delete` job JOB removed. On PostgreSQL the rows come
// back from the backup table, which is then dropped, in one transaction per connection; with Time
// Travel (Snowflake) they are read as the table was just before the DELETE, while the retention
// lasts. Refused when the table holds rows in the deleted range again (it was reloaded since),
// because restoring would double them. The load history gets a 'restore' row and the delete stops
// counting.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config_model.h"
#include "core/job_log.h"
#include "core/progress.h"
#include "operations/warehouse_session.h"

namespace sluice {

struct RestoreRequest {
  std::int64_t delete_job = 0;
  bool dry_run = false;   // say what would be restored; touch nothing
};

struct TableRestore {
  std::string table, target, connection;
  std::string backup;               // where the rows are: sluice_trash.x, or the Time Travel statement
  DateRange range;
  std::int64_t rows = 0;            // deleted by the job
  std::string deleted_at;
  std::uint64_t rows_restored = 0;
};

struct RestoreSummary {
  std::int64_t job_id = 0;          // the restore's own job (0 for a dry run)
  std::int64_t delete_job = 0;
  std::vector<TableRestore> tables;
  bool executed = false;
};

class RestoreOperation {
 public:
  RestoreOperation(const Config& config, WarehouseOpener open, JobLog& jobs, ProgressSink& progress);
  RestoreSummary run(const RestoreRequest& request);

 private:
  const Config& config_;
  WarehousePool pool_;
  JobLog& jobs_;
  ProgressSink& progress_;
};

}  // namespace sluice
