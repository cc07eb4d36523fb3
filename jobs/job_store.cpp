#include "jobs/job_store.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <mutex>

#include <fmt/format.h>

#include "core/dates.h"
#include "core/error.h"
#include "jobs/job_output.h"
#include "warehouse/sqlite/database.h"

namespace sluice {
namespace {

constexpr int kSchemaVersion = 4;

// Version 1. Checksums are 64-bit hashes: SQLite integers are signed, so they are stored as their
// two's-complement bit pattern and converted back on read.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL,
  description  TEXT NOT NULL,
  args_json    TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  pid          INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT NOT NULL DEFAULT '',
  error        TEXT NOT NULL DEFAULT '',
  summary_json TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_by_status ON jobs (status);
CREATE TABLE chunks (
  job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  file        TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  byte_offset INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  row_count   INTEGER NOT NULL,
  checksum    INTEGER NOT NULL,
  destination TEXT NOT NULL,
  status      TEXT NOT NULL,
  PRIMARY KEY (job_id, file, chunk_index)
) WITHOUT ROWID;
)sql";

// Version 3: what the menu shows and remembers. A job's phases with their counters (written by the
// job's own process a few times a second), the background processes the menu started (their
// command, log file and exit code; a job names the launch it runs in), and preferences.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE jobs ADD COLUMN launch_id INTEGER NOT NULL DEFAULT 0;
CREATE TABLE job_progress (
  job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  phase       TEXT NOT NULL,
  subject     TEXT NOT NULL,
  done_bytes  INTEGER NOT NULL DEFAULT 0,
  total_bytes INTEGER NOT NULL DEFAULT 0,
  row_count   INTEGER NOT NULL DEFAULT 0,
  state       TEXT NOT NULL CHECK (state IN ('running', 'ok', 'failed')),
  summary     TEXT NOT NULL DEFAULT '',
  started_at  REAL NOT NULL,
  updated_at  REAL NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE launches (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  title       TEXT NOT NULL,
  command     TEXT NOT NULL,
  log_path    TEXT NOT NULL,
  result_path TEXT NOT NULL DEFAULT '',
  pid         INTEGER NOT NULL DEFAULT 0,
  started_at  TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '',
  exit_code   INTEGER
);
CREATE TABLE preferences (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 4: how a job's process exited (a job started from the command line has no launch to say
// it), start and end times with fractions of a second (the menu shows tenths under a minute), and a
// launch's command (an analyze records no job that would name it).
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE jobs ADD COLUMN exit_code INTEGER;
ALTER TABLE jobs ADD COLUMN started_unix REAL NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN finished_unix REAL NOT NULL DEFAULT 0;
ALTER TABLE launches ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE launches ADD COLUMN started_unix REAL NOT NULL DEFAULT 0;
ALTER TABLE launches ADD COLUMN finished_unix REAL NOT NULL DEFAULT 0;
)sql";

// What to do about a job store SQLite cannot use, where the general advice would not say it.
std::string hint_for(sqlite::Trouble trouble, const std::filesystem::path&) {
  switch (trouble) {
    case sqlite::Trouble::busy:
      return "Another sluice process held the job store for more than 5 seconds; try again.";
    case sqlite::Trouble::disk:
      return "Check free space and the health of the disk holding the state directory.";
    case sqlite::Trouble::not_a_database:
      return "The file is not a usable job store: move it aside and sluice will start a new one "
             "(only the job history is lost).";
    default: return {};
  }
}

using sqlite::Statement;
using sqlite::Transaction;

std::string utc_now() { return format_time("%Y-%m-%dT%H:%M:%SZ", TimeZone::utc); }

JobStatus parse_status(const std::string& s) {
  if (s == "succeeded") return JobStatus::succeeded;
  if (s == "failed") return JobStatus::failed;
  if (s == "cancelled") return JobStatus::cancelled;
  return JobStatus::running;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool process_exists(int pid) {
  if (pid <= 0) return false;
  // EPERM: it exists but belongs to someone else.
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

constexpr const char* kJobColumns =
    "id, kind, description, args_json, status, pid, started_at, finished_at, error, summary_json, launch_id, exit_code, "
    "started_unix, finished_unix";

JobRecord read_job(const Statement& s) {
  JobRecord j;
  j.id = s.int64(0);
  j.kind = s.text(1);
  j.description = s.text(2);
  j.args_json = s.text(3);
  j.status = parse_status(s.text(4));
  j.pid = static_cast<int>(s.int64(5));
  j.started_at = s.text(6);
  j.finished_at = s.text(7);
  j.error = s.text(8);
  j.summary_json = s.text(9);
  j.launch_id = s.int64(10);
  if (!s.is_null(11)) j.exit_code = static_cast<int>(s.int64(11));
  j.started_unix = s.real(12);
  j.finished_unix = s.real(13);
  return j;
}

ChunkProgress read_chunk(const Statement& s) {
  ChunkProgress c;
  c.job_id = s.int64(0);
  c.file = s.text(1);
  c.chunk_index = s.uint64(2);
  c.offset = s.uint64(3);
  c.bytes = s.uint64(4);
  c.rows = s.uint64(5);
  c.checksum = s.uint64(6);
  c.destination = s.text(7);
  c.status = s.text(8);
  c.etag = s.text(9);
  return c;
}

PhaseRecord read_phase(const Statement& s) {
  PhaseRecord p;
  p.job_id = s.int64(0);
  p.seq = s.int64(1);
  p.phase = s.text(2);
  p.subject = s.text(3);
  p.done_bytes = s.uint64(4);
  p.total_bytes = s.uint64(5);
  p.rows = s.uint64(6);
  p.state = s.text(7);
  p.summary = s.text(8);
  p.started_at = s.real(9);
  p.updated_at = s.real(10);
  return p;
}

// The rows of `s`, whose one parameter is `key` (an id, a limit), each as `read` makes it.
template <class Read>
auto all_rows(Statement& s, std::int64_t key, Read read) {
  s.bind(1, key);
  std::vector<decltype(read(s))> out;
  while (s.step()) out.push_back(read(s));
  return out;
}

template <class Read>
auto first_row(Statement& s, std::int64_t key, Read read) -> std::optional<decltype(read(s))> {
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return read(s);
}

}  // namespace

std::int64_t current_launch_id() {
  const char* env = std::getenv("SLUICE_LAUNCH_ID");
  if (!env || !*env) return 0;
  char* end = nullptr;
  const long long id = std::strtoll(env, &end, 10);
  return end && *end == '\0' && id > 0 ? id : 0;
}

struct JobStore::Impl {
  explicit Impl(const std::filesystem::path& p)
      : path(p), db(p, sqlite::OpenMode::read_write, "the job store", hint_for) {}
  std::filesystem::path path;
  sqlite::Database db;
  // One connection serves every thread; statements are per call, so a mutex is all it needs.
  mutable std::mutex mutex;
  std::int64_t active_job = 0;    // the job this process began and has not finished
  std::int64_t progress_seq = 0;  // its phases so far
};

JobStore::JobStore(const std::filesystem::path& db_path) : impl_(std::make_unique<Impl>(db_path)) {
  const sqlite::Database& db = impl_->db;
  db.set_busy_timeout(5000);
  db.exec("PRAGMA foreign_keys = ON", "cannot configure the job store");
  // Readers never block the writer and vice versa; the mode is stored in the file.
  db.exec("PRAGMA journal_mode = WAL", "cannot configure the job store");

  Transaction tx(db, "cannot set up the job store schema");
  Statement version(db, "PRAGMA user_version", "cannot read the job store schema version");
  const std::int64_t found = version.step() ? version.int64(0) : 0;
  if (found > kSchemaVersion)
    throw runtime_error("the job store was written by a newer sluice",
                        fmt::format("{}: schema version {}, this sluice knows up to {}",
                                    db_path.string(), found, kSchemaVersion),
                        "Upgrade sluice, or set XDG_STATE_HOME to use another job store.");
  if (found < 1) {
    db.exec(kSchemaV1, "cannot create the job store schema");
    db.exec("PRAGMA user_version = 1", "cannot create the job store schema");
  }
  // Later versions migrate here, one step at a time, inside the same transaction.
  if (found < 2) {
    // Version 2: the ETag of a staged object (Snowflake loads), to verify it on resume.
    db.exec("ALTER TABLE chunks ADD COLUMN etag TEXT NOT NULL DEFAULT ''", "cannot upgrade the job store schema");
    db.exec("PRAGMA user_version = 2", "cannot upgrade the job store schema");
  }
  if (found < 3) {
    db.exec(kSchemaV3, "cannot upgrade the job store schema");
    db.exec("PRAGMA user_version = 3", "cannot upgrade the job store schema");
  }
  if (found < 4) {
    db.exec(kSchemaV4, "cannot upgrade the job store schema");
    db.exec("PRAGMA user_version = 4", "cannot upgrade the job store schema");
  }
  tx.commit();
}

JobStore::~JobStore() = default;

const std::filesystem::path& JobStore::path() const { return impl_->path; }

std::int64_t JobStore::begin_job(const std::string& kind, const std::string& description,
                                 const std::string& args_json) {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db,
              "INSERT INTO jobs (kind, description, args_json, status, pid, started_at, launch_id, started_unix) "
              "VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
              "cannot record the start of a job");
  s.bind(1, kind).bind(2, description).bind(3, args_json);
  s.bind(4, static_cast<std::int64_t>(::getpid())).bind(5, utc_now()).bind(6, current_launch_id()).bind_real(7, unix_now());
  s.run();
  impl_->active_job = impl_->db.last_insert_rowid();
  impl_->progress_seq = 0;
  JobOutputCapture::job_begun(impl_->path, impl_->active_job);
  return impl_->active_job;
}

void JobStore::finish_job(std::int64_t id, JobStatus status, const std::string& summary_json,
                          const std::string& error) {
  std::lock_guard lock(impl_->mutex);
  Statement s(
      impl_->db,
      "UPDATE jobs SET status = ?, finished_at = ?, summary_json = ?, error = ?, finished_unix = ? WHERE id = ?",
      "cannot record the end of a job");
  s.bind(1, std::string(to_string(status))).bind(2, utc_now()).bind(3, summary_json).bind(4, error);
  s.bind_real(5, unix_now()).bind(6, id);
  s.run();
  if (impl_->active_job == id) impl_->active_job = 0;
}

void JobStore::set_exit_code(std::int64_t id, int exit_code) {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, "UPDATE jobs SET exit_code = ? WHERE id = ?", "cannot record the exit code of a job");
  s.bind(1, static_cast<std::int64_t>(exit_code)).bind(2, id);
  s.run();
}

void JobStore::record_chunk(const ChunkProgress& c) {
  std::lock_guard lock(impl_->mutex);
  Statement s(
      impl_->db,
      "INSERT OR REPLACE INTO chunks (job_id, file, chunk_index, byte_offset, bytes, row_count, "
      "checksum, destination, status, etag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "cannot record a chunk");
  s.bind(1, c.job_id).bind(2, c.file).bind(3, c.chunk_index).bind(4, c.offset).bind(5, c.bytes);
  s.bind(6, c.rows).bind(7, c.checksum).bind(8, c.destination).bind(9, c.status).bind(10, c.etag);
  s.run();
}

std::optional<JobRecord> JobStore::job(std::int64_t id) const {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, fmt::format("SELECT {} FROM jobs WHERE id = ?", kJobColumns), "cannot read a job");
  return first_row(s, id, read_job);
}

std::vector<JobRecord> JobStore::recent_jobs(int limit) const {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, fmt::format("SELECT {} FROM jobs ORDER BY id DESC LIMIT ?", kJobColumns), "cannot list jobs");
  return all_rows(s, limit, read_job);
}

std::vector<ChunkProgress> JobStore::chunks(std::int64_t job_id) const {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db,
              "SELECT job_id, file, chunk_index, byte_offset, bytes, row_count, checksum, destination, "
              "status, etag FROM chunks WHERE job_id = ? ORDER BY file, chunk_index",
              "cannot list the chunks of a job");
  return all_rows(s, job_id, read_chunk);
}

std::int64_t JobStore::find_interrupted(const std::string& kind, const std::string& resume_key) const {
  std::lock_guard lock(impl_->mutex);
  // The newest job of this kind and key; it is the one to resume only if its process died.
  Statement s(impl_->db,
              "SELECT id, status, error FROM jobs WHERE kind = ? AND instr(args_json, ?) > 0 "
              "ORDER BY id DESC LIMIT 1",
              "cannot look for an interrupted job");
  s.bind(1, kind).bind(2, "\"resume_key\":\"" + resume_key + "\"");
  if (!s.step()) return 0;
  if (parse_status(s.text(1)) == JobStatus::failed && s.text(2) == "process ended unexpectedly") return s.int64(0);
  return 0;
}

int JobStore::reap_dead_jobs() {
  std::lock_guard lock(impl_->mutex);
  const sqlite::Database& db = impl_->db;
  // IMMEDIATE: a job finishing in another process between the check and the update must win.
  Transaction tx(db, "cannot check for abandoned jobs");
  std::vector<std::int64_t> dead;
  {
    Statement s(db, "SELECT id, pid FROM jobs WHERE status = 'running'",
                "cannot check for abandoned jobs");
    while (s.step())
      if (!process_exists(static_cast<int>(s.int64(1)))) dead.push_back(s.int64(0));
  }
  const std::string now = utc_now();
  const double now_unix = unix_now();
  int reaped = 0;
  for (std::int64_t id : dead) {
    Statement s(db,
                "UPDATE jobs SET status = 'failed', finished_at = ?, finished_unix = ?, "
                "error = 'process ended unexpectedly' WHERE id = ? AND status = 'running'",
                "cannot mark an abandoned job failed");
    s.bind(1, now).bind_real(2, now_unix).bind(3, id);
    s.run();
    reaped += db.changes();
  }
  tx.commit();
  return reaped;
}

}  // namespace sluice

namespace sluice {
namespace {

constexpr const char* kLaunchColumns =
    "id, title, command, log_path, result_path, pid, started_at, finished_at, exit_code, kind, started_unix, finished_unix";

LaunchRecord read_launch(const Statement& s) {
  LaunchRecord l;
  l.id = s.int64(0);
  l.title = s.text(1);
  l.command = s.text(2);
  l.log_path = s.text(3);
  l.result_path = s.text(4);
  l.pid = static_cast<int>(s.int64(5));
  l.started_at = s.text(6);
  l.finished_at = s.text(7);
  if (!s.is_null(8)) l.exit_code = static_cast<int>(s.int64(8));
  l.kind = s.text(9);
  l.started_unix = s.real(10);
  l.finished_unix = s.real(11);
  return l;
}

}  // namespace

void JobStore::begin_phase(const std::string& phase, const std::string& subject, std::uint64_t total_bytes) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->active_job) return;
  const double now = unix_now();
  Statement s(impl_->db,
              "INSERT OR REPLACE INTO job_progress (job_id, seq, phase, subject, total_bytes, state, started_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
              "cannot record a job's progress");
  s.bind(1, impl_->active_job).bind(2, ++impl_->progress_seq).bind(3, phase).bind(4, subject).bind(5, total_bytes);
  s.bind_real(6, now).bind_real(7, now);
  s.run();
}

void JobStore::update_phase(std::uint64_t done_bytes, std::uint64_t total_bytes, std::uint64_t rows) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->active_job || !impl_->progress_seq) return;
  Statement s(impl_->db,
              "UPDATE job_progress SET done_bytes = ?, total_bytes = ?, row_count = ?, updated_at = ? "
              "WHERE job_id = ? AND seq = ?",
              "cannot record a job's progress");
  s.bind(1, done_bytes).bind(2, total_bytes).bind(3, rows).bind_real(4, unix_now());
  s.bind(5, impl_->active_job).bind(6, impl_->progress_seq);
  s.run();
}

void JobStore::end_phase(bool ok, const std::string& summary) {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->active_job || !impl_->progress_seq) return;
  Statement s(impl_->db,
              "UPDATE job_progress SET state = ?, summary = ?, updated_at = ? WHERE job_id = ? AND seq = ?",
              "cannot record a job's progress");
  s.bind(1, std::string(ok ? "ok" : "failed")).bind(2, summary).bind_real(3, unix_now());
  s.bind(4, impl_->active_job).bind(5, impl_->progress_seq);
  s.run();
}

std::vector<PhaseRecord> JobStore::phases(std::int64_t job_id) const {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db,
              "SELECT job_id, seq, phase, subject, done_bytes, total_bytes, row_count, state, summary, started_at, "
              "updated_at FROM job_progress WHERE job_id = ? ORDER BY seq",
              "cannot read a job's progress");
  return all_rows(s, job_id, read_phase);
}

std::int64_t JobStore::add_launch(const std::string& title, const std::string& command, const std::string& log_path,
                                  const std::string& result_path, const std::string& kind) {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db,
              "INSERT INTO launches (title, command, log_path, result_path, started_at, kind, started_unix) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              "cannot record a background job");
  s.bind(1, title).bind(2, command).bind(3, log_path).bind(4, result_path).bind(5, utc_now()).bind(6, kind);
  s.bind_real(7, unix_now());
  s.run();
  return impl_->db.last_insert_rowid();
}

void JobStore::set_launch_pid(std::int64_t id, int pid) {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, "UPDATE launches SET pid = ? WHERE id = ?", "cannot record a background job");
  s.bind(1, static_cast<std::int64_t>(pid)).bind(2, id);
  s.run();
}

void JobStore::set_launch_files(std::int64_t id, const std::string& log_path, const std::string& result_path) {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, "UPDATE launches SET log_path = ?, result_path = ? WHERE id = ?", "cannot record a background job");
  s.bind(1, log_path).bind(2, result_path).bind(3, id);
  s.run();
}

void JobStore::finish_launch(std::int64_t id, int exit_code) {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, "UPDATE launches SET finished_at = ?, exit_code = ?, finished_unix = ? WHERE id = ?",
              "cannot record the end of a background job");
  s.bind(1, utc_now()).bind(2, static_cast<std::int64_t>(exit_code)).bind_real(3, unix_now()).bind(4, id);
  s.run();
}

std::optional<LaunchRecord> JobStore::launch(std::int64_t id) const {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, fmt::format("SELECT {} FROM launches WHERE id = ?", kLaunchColumns),
              "cannot read a background job");
  return first_row(s, id, read_launch);
}

std::vector<LaunchRecord> JobStore::recent_launches(int limit) const {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, fmt::format("SELECT {} FROM launches ORDER BY id DESC LIMIT ?", kLaunchColumns),
              "cannot list background jobs");
  return all_rows(s, limit, read_launch);
}

std::vector<JobRecord> JobStore::jobs_of_launch(std::int64_t launch_id) const {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, fmt::format("SELECT {} FROM jobs WHERE launch_id = ? ORDER BY id", kJobColumns),
              "cannot list the jobs of a background job");
  return all_rows(s, launch_id, read_job);
}

std::optional<std::string> JobStore::preference(const std::string& name) const {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, "SELECT value FROM preferences WHERE name = ?", "cannot read a preference");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void JobStore::set_preference(const std::string& name, const std::string& value) {
  std::lock_guard lock(impl_->mutex);
  Statement s(impl_->db, "INSERT OR REPLACE INTO preferences (name, value) VALUES (?, ?)", "cannot save a preference");
  s.bind(1, name).bind(2, value);
  s.run();
}

}  // namespace sluice
