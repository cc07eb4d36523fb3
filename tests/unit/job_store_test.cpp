#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <sqlite3.h>

#include "core/error.h"
#include "jobs/job_store.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

// Runs one statement on its own connection; returns the first column of the last row.
std::string run_sql(const std::filesystem::path& db, const char* sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  std::string value;
  sqlite3_exec(
      h, sql,
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) = values[0] ? values[0] : "";
        return 0;
      },
      &value, nullptr);
  sqlite3_close(h);
  return value;
}

TEST(JobStore, BeginFinishAndReadBack) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  const std::int64_t id = store.begin_job("load", "FACT_LENDING 2024-01", R"({"month":"2024-01"})");
  EXPECT_GT(id, 0);

  auto running = store.job(id);
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->kind, "load");
  EXPECT_EQ(running->description, "FACT_LENDING 2024-01");
  EXPECT_EQ(running->args_json, R"({"month":"2024-01"})");
  EXPECT_EQ(running->status, JobStatus::running);
  EXPECT_EQ(running->pid, ::getpid());
  const std::regex iso_utc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  EXPECT_TRUE(std::regex_match(running->started_at, iso_utc)) << running->started_at;
  EXPECT_EQ(running->finished_at, "");

  store.finish_job(id, JobStatus::failed, R"({"rows":12})", "server closed the connection");
  auto done = store.job(id);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, JobStatus::failed);
  EXPECT_EQ(done->summary_json, R"({"rows":12})");
  EXPECT_EQ(done->error, "server closed the connection");
  EXPECT_TRUE(std::regex_match(done->finished_at, iso_utc)) << done->finished_at;
  EXPECT_GE(done->finished_at, done->started_at);

  EXPECT_FALSE(store.job(id + 1000).has_value());
}

TEST(JobStore, RecentJobsAreNewestFirstUpToTheLimit) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(store.begin_job("qc", "job " + std::to_string(i), "{}"));
  store.finish_job(ids[1], JobStatus::cancelled, "{}", "");
  const auto recent = store.recent_jobs(3);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0].id, ids[4]);
  EXPECT_EQ(recent[1].id, ids[3]);
  EXPECT_EQ(recent[2].id, ids[2]);
  EXPECT_EQ(store.recent_jobs(100).size(), 5u);
  EXPECT_EQ(store.recent_jobs(100).back().status, JobStatus::running);
  EXPECT_EQ(store.recent_jobs(100)[3].status, JobStatus::cancelled);
}

TEST(JobStore, ChunksAreInsertedAndReplacedByJobFileAndIndex) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  const std::int64_t job = store.begin_job("load", "", "{}");
  const std::int64_t other = store.begin_job("load", "", "{}");

  ChunkProgress c;
  c.job_id = job;
  c.file = "/data/fact_2024-01.tsv";
  c.chunk_index = 0;
  c.offset = 0;
  c.bytes = 64ULL << 20;
  c.rows = 200000;
  c.checksum = std::numeric_limits<std::uint64_t>::max() - 7;  // above INT64_MAX on purpose
  c.destination = "postgres:public.fact_lending";
  c.status = "sent";
  store.record_chunk(c);
  c.chunk_index = 1;
  c.offset = 64ULL << 20;
  c.checksum = 12345;
  store.record_chunk(c);
  c.job_id = other;
  store.record_chunk(c);

  c.job_id = job;
  c.chunk_index = 0;
  c.offset = 0;
  c.checksum = std::numeric_limits<std::uint64_t>::max() - 7;
  c.status = "committed";
  c.rows = 199999;
  store.record_chunk(c);  // replaces chunk 0

  const auto chunks = store.chunks(job);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].chunk_index, 0);
  EXPECT_EQ(chunks[0].status, "committed");
  EXPECT_EQ(chunks[0].rows, 199999u);
  EXPECT_EQ(chunks[0].offset, 0u);
  EXPECT_EQ(chunks[0].bytes, 64ULL << 20);
  EXPECT_EQ(chunks[0].checksum, std::numeric_limits<std::uint64_t>::max() - 7);
  EXPECT_EQ(chunks[0].file, "/data/fact_2024-01.tsv");
  EXPECT_EQ(chunks[0].destination, "postgres:public.fact_lending");
  EXPECT_EQ(chunks[1].chunk_index, 1);
  EXPECT_EQ(chunks[1].offset, 64ULL << 20);
  EXPECT_EQ(chunks[1].checksum, 12345u);
  EXPECT_EQ(store.chunks(other).size(), 1u);
  EXPECT_TRUE(store.chunks(other + 1).empty());
}

TEST(JobStore, ChunkOfAnUnknownJobIsRejected) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  ChunkProgress c;
  c.job_id = 4242;
  c.file = "f.tsv";
  try {
    store.record_chunk(c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(e.detail().find((dir / "jobs.sqlite").string()), std::string::npos) << e.report();
  }
}

TEST(JobStore, ReapMarksJobsOfEndedProcessesFailed) {
  test::TempDir dir;
  const auto path = dir / "jobs.sqlite";
  JobStore store(path);
  const std::int64_t mine = store.begin_job("load", "still running here", "{}");
  const std::int64_t abandoned = store.begin_job("load", "abandoned", "{}");

  // A process that has ended (and been waited for), so its pid is gone: as if the job's process
  // crashed or was killed. SQLite connections must not cross fork(), so the child touches nothing.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  run_sql(path, ("UPDATE jobs SET pid = " + std::to_string(child) +
                 " WHERE id = " + std::to_string(abandoned))
                    .c_str());
  ASSERT_EQ(store.job(abandoned)->pid, child);
  ASSERT_EQ(store.job(abandoned)->status, JobStatus::running);

  EXPECT_EQ(store.reap_dead_jobs(), 1);
  const auto reaped = store.job(abandoned);
  EXPECT_EQ(reaped->status, JobStatus::failed);
  EXPECT_EQ(reaped->error, "process ended unexpectedly");
  EXPECT_FALSE(reaped->finished_at.empty());
  EXPECT_EQ(store.job(mine)->status, JobStatus::running);
  EXPECT_EQ(store.reap_dead_jobs(), 0);
}

TEST(JobStore, TwoStoresOnOneFileSeeEachOthersWrites) {
  test::TempDir dir;
  JobStore a(dir / "jobs.sqlite");
  JobStore b(dir / "jobs.sqlite");
  const std::int64_t from_a = a.begin_job("load", "from a", "{}");
  ASSERT_TRUE(b.job(from_a).has_value());
  EXPECT_EQ(b.job(from_a)->description, "from a");
  b.finish_job(from_a, JobStatus::succeeded, R"({"rows":1})", "");
  EXPECT_EQ(a.job(from_a)->status, JobStatus::succeeded);
  const std::int64_t from_b = b.begin_job("qc", "from b", "{}");
  EXPECT_NE(from_a, from_b);
  EXPECT_EQ(a.recent_jobs(10).size(), 2u);
  ChunkProgress c;
  c.job_id = from_b;
  c.file = "x.tsv";
  a.record_chunk(c);
  EXPECT_EQ(b.chunks(from_b).size(), 1u);
}

TEST(JobStore, SchemaIsVersionedAndKeptAcrossReopen) {
  test::TempDir dir;
  const auto path = dir / "jobs.sqlite";
  std::int64_t id;
  {
    JobStore store(path);
    id = store.begin_job("load", "kept", "{}");
  }
  EXPECT_EQ(run_sql(path, "PRAGMA user_version"), "4");
  EXPECT_EQ(run_sql(path, "PRAGMA journal_mode"), "wal");
  JobStore again(path);
  ASSERT_TRUE(again.job(id).has_value());
  EXPECT_EQ(again.job(id)->description, "kept");
}

TEST(JobStore, AVersion1StoreGetsTheEtagColumn) {
  test::TempDir dir;
  const auto path = dir / "jobs.sqlite";
  std::int64_t id;
  {
    JobStore store(path);
    id = store.begin_job("load", "old", "{}");
  }
  // Back to what sluice wrote at version 1.
  run_sql(path, "ALTER TABLE chunks DROP COLUMN etag");
  for (const char* v4 : {"exit_code", "started_unix", "finished_unix"})
    run_sql(path, fmt::format("ALTER TABLE jobs DROP COLUMN {}", v4).c_str());
  run_sql(path, "ALTER TABLE jobs DROP COLUMN launch_id");
  run_sql(path, "DROP TABLE job_progress");
  run_sql(path, "DROP TABLE launches");
  run_sql(path, "DROP TABLE preferences");
  run_sql(path, "PRAGMA user_version = 1");
  JobStore store(path);
  EXPECT_EQ(run_sql(path, "PRAGMA user_version"), "4");
  ChunkProgress c;
  c.job_id = id;
  c.file = "a.tsv";
  c.destination = "s3://b/k";
  c.status = "staged";
  c.etag = "\"abc\"";
  store.record_chunk(c);
  ASSERT_EQ(store.chunks(id).size(), 1u);
  EXPECT_EQ(store.chunks(id)[0].etag, "\"abc\"");
}

TEST(JobStore, OnlyAJobWhoseProcessDiedIsResumed) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  const std::string args = R"({"resume_key":"k1"})";
  const std::int64_t a = store.begin_job("load", "a", args);
  EXPECT_EQ(store.find_interrupted("load", "k1"), 0);  // still running (this process)
  run_sql(dir / "jobs.sqlite", fmt::format("UPDATE jobs SET pid = 999999999 WHERE id = {}", a).c_str());
  EXPECT_EQ(store.reap_dead_jobs(), 1);
  EXPECT_EQ(store.find_interrupted("load", "k1"), a);
  EXPECT_EQ(store.find_interrupted("load", "k2"), 0);
  EXPECT_EQ(store.find_interrupted("analyze", "k1"), 0);
  const std::int64_t b = store.begin_job("load", "b", args);  // the resume itself
  store.finish_job(b, JobStatus::succeeded, "{}", "");
  EXPECT_EQ(store.find_interrupted("load", "k1"), 0);  // done: nothing left to resume
}

TEST(JobStore, StoreFromANewerSluiceIsRefused) {
  test::TempDir dir;
  const auto path = dir / "jobs.sqlite";
  { JobStore store(path); }
  run_sql(path, "PRAGMA user_version = 99");
  try {
    JobStore store(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(e.detail().find(path.string()), std::string::npos) << e.report();
    EXPECT_NE(e.detail().find("99"), std::string::npos) << e.report();
    EXPECT_FALSE(e.hint().empty());
  }
}

TEST(JobStore, UnusableFileIsARuntimeErrorNamingThePath) {
  test::TempDir dir;
  const auto garbage = dir.write("jobs.sqlite", std::string(4096, 'x'));
  try {
    JobStore store(garbage);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(e.detail().find(garbage.string()), std::string::npos) << e.report();
    EXPECT_NE(e.hint().find("move it aside"), std::string::npos) << e.report();
  }
  try {
    JobStore store(dir / "missing-dir" / "jobs.sqlite");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.detail().find("missing-dir"), std::string::npos) << e.report();
    EXPECT_NE(e.hint().find("writable"), std::string::npos) << e.report();
  }
}

}  // namespace
}  // namespace sluice
