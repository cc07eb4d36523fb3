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

// Whether a delete can be put back:
//   restorable  its rows are kept (the backup table exists, or on Snowflake the DELETE is within the
//               table's Time Travel retention) and the range holds no rows now
//   reloaded    kept, but the range holds rows again (loaded since): restoring would double them
//   restored    a restore put them back
//   expired     the backup table is gone, or the Time Travel retention has passed
enum class DeleteState { restorable, reloaded, restored, expired };
const char* to_string(DeleteState state);

struct DeletedTable {
  std::string table, target, connection;
  std::string backup;               // as TableRestore's
  DateRange range;
  std::int64_t rows = 0;
  std::string deleted_at, restored_at;
  std::int64_t restore_job_id = 0;
  DeleteState state = DeleteState::restorable;
  std::string why;                  // what the state is based on, one line
};

// One delete job of the config's tables (several tables when it deleted from several).
struct RecordedDelete {
  std::int64_t job_id = 0;
  std::string deleted_at;
  // restored when every table was put back; else expired, reloaded or restorable, the first any
  // table is of those (a restore puts back all of a job's tables or none).
  DeleteState state = DeleteState::restorable;
  std::vector<DeletedTable> tables;
};

class RestoreOperation {
 public:
  RestoreOperation(const Config& config, WarehouseOpener open, JobLog& jobs, ProgressSink& progress);
  RestoreSummary run(const RestoreRequest& request);
  // The newest deletes of the config's tables (at most `limit` tables' entries, from every
  // connection), newest first, each with its state. Reads only.
  std::vector<RecordedDelete> recorded(std::size_t limit);

 private:
  const Config& config_;
  WarehousePool pool_;
  JobLog& jobs_;
  ProgressSink& progress_;
};

}  // namespace sluice
