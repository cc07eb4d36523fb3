// The job store carries a job's phases from the job's process to the menu: begun, updated (at
// most a few times a second), ended with the last counters; and nothing without an active job.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "jobs/job_progress_recorder.h"
#include "jobs/job_store.h"
#include "tests/support/scoped_env.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

TEST(JobProgress, PhasesOfTheActiveJobAreRecordedInOrder) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  store.begin_phase("ignored", "no job yet", 10);  // no active job: nothing to record
  const std::int64_t id = store.begin_job("load", "d", "{}");
  store.begin_phase("scan+copy", "a.tsv", 1000);
  store.update_phase(400, 1000, 12);
  store.end_phase(true, "12 rows");
  store.begin_phase("commit", "", 0);
  const auto phases = store.phases(id);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].seq, 1);
  EXPECT_EQ(phases[0].phase, "scan+copy");
  EXPECT_EQ(phases[0].subject, "a.tsv");
  EXPECT_EQ(phases[0].done_bytes, 400u);
  EXPECT_EQ(phases[0].total_bytes, 1000u);
  EXPECT_EQ(phases[0].rows, 12u);
  EXPECT_EQ(phases[0].state, "ok");
  EXPECT_EQ(phases[0].summary, "12 rows");
  EXPECT_EQ(phases[1].phase, "commit");
  EXPECT_EQ(phases[1].state, "running");
  store.finish_job(id, JobStatus::succeeded, "{}", "");
  store.begin_phase("after", "the job ended", 0);
  EXPECT_EQ(store.phases(id).size(), 2u);
}

TEST(JobProgress, RecorderThrottlesUpdatesButEndsWithTheLastCounters) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  const std::int64_t id = store.begin_job("load", "d", "{}");
  JobProgressRecorder recorder(std::make_unique<NullProgress>(), [&] { return &store; }, std::chrono::hours(1));
  recorder.begin("scan+copy", "a.tsv", 100);
  for (std::uint64_t i = 1; i <= 100; ++i) recorder.update({"scan+copy", "a.tsv", i, 100, i * 3});
  // Within the hour-long interval nothing after the first write reached the store...
  EXPECT_EQ(store.phases(id).at(0).done_bytes, 0u);
  recorder.end(true, "done");
  // ...and the end brings the last counters.
  const auto p = store.phases(id).at(0);
  EXPECT_EQ(p.done_bytes, 100u);
  EXPECT_EQ(p.rows, 300u);
  EXPECT_EQ(p.state, "ok");
}

TEST(JobProgress, RecorderWithoutAJobStoreOnlyPassesOn) {
  struct Counting final : ProgressSink {
    int begins = 0, updates = 0, ends = 0;
    void begin(std::string_view, std::string_view, std::uint64_t) override { ++begins; }
    void update(const ProgressUpdate&) override { ++updates; }
    void end(bool, std::string_view) override { ++ends; }
    void note(std::string_view) override {}
  };
  auto inner = std::make_unique<Counting>();
  Counting* seen = inner.get();
  JobProgressRecorder recorder(std::move(inner), [] { return nullptr; });
  recorder.begin("p", "s", 1);
  recorder.update({"p", "s", 1, 1, 1});
  recorder.end(true, "");
  EXPECT_EQ(seen->begins, 1);
  EXPECT_EQ(seen->updates, 1);
  EXPECT_EQ(seen->ends, 1);
}

TEST(JobProgress, LaunchesAndPreferencesAreKept) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  const std::int64_t l = store.add_launch("Load 2024-01", "sluice --batch load --month 2024-01", "", "");
  store.set_launch_files(l, "/x/launch.log", "/x/launch.out");
  store.set_launch_pid(l, 4242);
  auto got = store.launch(l);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->command, "sluice --batch load --month 2024-01");
  EXPECT_EQ(got->pid, 4242);
  EXPECT_EQ(got->log_path, "/x/launch.log");
  EXPECT_FALSE(got->exit_code.has_value());
  store.finish_launch(l, 3);
  EXPECT_EQ(store.launch(l)->exit_code, 3);
  EXPECT_FALSE(store.launch(l)->finished_at.empty());
  EXPECT_EQ(store.recent_launches(10).size(), 1u);

  EXPECT_FALSE(store.preference("base_path").has_value());
  store.set_preference("base_path", "/data/a");
  store.set_preference("base_path", "/data/b");
  EXPECT_EQ(store.preference("base_path"), "/data/b");
}

TEST(JobProgress, AJobNamesTheLaunchItRunsIn) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  const std::int64_t l = store.add_launch("t", "c", "", "");
  const auto begin_with_launch = [&](const char* launch_id) {
    test::ScopedEnv env("SLUICE_LAUNCH_ID", launch_id);
    return store.begin_job("validate", "d", "{}");
  };
  const std::int64_t inside = begin_with_launch(std::to_string(l).c_str());
  const std::int64_t garbled = begin_with_launch("not a number");
  const std::int64_t outside = begin_with_launch(nullptr);
  EXPECT_EQ(store.job(inside)->launch_id, l);
  EXPECT_EQ(store.job(garbled)->launch_id, 0);
  EXPECT_EQ(store.job(outside)->launch_id, 0);
  const auto jobs = store.jobs_of_launch(l);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, inside);
}

}  // namespace
}  // namespace sluice
