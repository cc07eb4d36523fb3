// What the menu concludes and how it lays text out, without a terminal: a job's outcome from its
// status, exit code, result and log (a failed job is never a success, and its QC findings show with
// file:line:column); wrapping; job times; the status of a job started from the command line.
#include <gtest/gtest.h>

#include <algorithm>
#include <clocale>
#include <fstream>

#include <nlohmann/json.hpp>

#include "jobs/job_output.h"
#include "jobs/job_store.h"
#include "tests/support/temp_dir.h"
#include "tui/backend.h"
#include "tui/result_text.h"
#include "tui/terminal.h"

namespace sluice::tui {
namespace {

bool has_line(const std::vector<std::string>& lines, const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(part) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// A load's --json result whose one file failed QC on a byte that is not UTF-8.
std::string failed_load_json() {
  nlohmann::json finding{{"check", "invalid_utf8"},
                         {"severity", "error"},
                         {"message", "1 row has text that is not valid UTF-8"},
                         {"count", 1},
                         {"examples", {{{"line", 3}, {"column", 12}, {"field", 2}, {"value", "Caf\\xe9"}, {"note", "byte 0xE9"}}}},
                         {"details", nlohmann::json::array()}};
  nlohmann::json file{{"file", "/data/f.tsv"},   {"table", "public.f"}, {"status", "QC failed"}, {"rows_in_file", 5},
                      {"rows_loaded", 0},        {"rows_deleted", 0},   {"qc_findings", {finding}}};
  return nlohmann::json{{"job_id", 7}, {"committed", false}, {"exit_code", 3}, {"files", {file}}}.dump(2);
}

TEST(JobOutcome, AFailedLoadShowsQcFailedAndEachFindingWithFileLineAndColumn) {
  const JobOutcome o = describe_outcome({"load", "failed", 3, failed_load_json(), ""});
  EXPECT_FALSE(o.success);
  EXPECT_EQ(o.verdict, "QC failed: nothing was loaded. (exit code 3)");
  EXPECT_TRUE(has_line(o.lines, "ERROR invalid_utf8: 1 row has text that is not valid UTF-8")) << joined(o.lines);
  EXPECT_TRUE(has_line(o.lines, "/data/f.tsv:3:12 (field 2): byte 0xE9")) << joined(o.lines);
}

TEST(JobOutcome, AResultThatSaysCommittedIsNoSuccessWhenTheProcessExitedNonzero) {
  const std::string committed = R"({"committed": true, "exit_code": 0, "files": []})";
  EXPECT_TRUE(describe_outcome({"load", "succeeded", 0, committed, ""}).success);
  const JobOutcome o = describe_outcome({"load", "failed", 1, committed, ""});
  EXPECT_FALSE(o.success);
  EXPECT_NE(o.verdict.find("exit code 1"), std::string::npos) << o.verdict;
}

TEST(JobOutcome, NoResultGivesTheExitCodeAndTheEndOfTheLog) {
  const std::string log = "note: starting\nerror: [json.exception.type_error.316] invalid UTF-8 byte at index 4: 0xE9\n";
  const JobOutcome o = describe_outcome({"load", "failed", 1, "", log});
  EXPECT_FALSE(o.success);
  EXPECT_EQ(o.verdict, "Failed (exit code 1); it printed no result.");
  EXPECT_TRUE(has_line(o.lines, "The end of its log:")) << joined(o.lines);
  EXPECT_TRUE(has_line(o.lines, "invalid UTF-8 byte at index 4")) << joined(o.lines);
  // Exit 0 and nothing printed is not a success either.
  EXPECT_FALSE(describe_outcome({"load", "succeeded", 0, "\n", ""}).success);
}

TEST(JobOutcome, AResultCutShortIsNotReadAsASuccess) {
  const JobOutcome o = describe_outcome({"load", "succeeded", 0, R"({"committed": true, "files": [)", "the log"});
  EXPECT_FALSE(o.success);
  EXPECT_EQ(o.verdict, "Unknown outcome (exit code 0); its result could not be read.");
  EXPECT_TRUE(has_line(o.lines, "the log"));
}

TEST(JobOutcome, AQcFailureInTheResultIsAFailureEvenWithExitCodeZero) {
  const JobOutcome o = describe_outcome({"analyze", "succeeded", 0,
                                         R"({"file": "/d/a.tsv", "rows": 2, "column_count": 3, "table": "T",
                                             "qc": {"passed": false, "findings": [{"check": "column_count", "severity": "error",
                                             "message": "1 row has 2 fields", "count": 1, "examples": [{"line": 2, "column": 0,
                                             "field": 0, "value": "", "note": "2 fields"}]}]}})",
                                         ""});
  EXPECT_FALSE(o.success);
  EXPECT_EQ(o.verdict.rfind("QC failed: 2 rows, 3 columns (read as T)", 0), 0u) << o.verdict;
  EXPECT_TRUE(has_line(o.lines, "/d/a.tsv:2: 2 fields")) << joined(o.lines);
}

TEST(JobOutcome, ATextResultOfACommandLineJobIsShownAsPrinted) {
  const JobOutcome ok = describe_outcome({"load", "succeeded", 0, "Loaded 1 file, 5 rows, in 0.2s (job 4).\n", ""});
  EXPECT_TRUE(ok.success);
  EXPECT_EQ(ok.lines.front(), "Loaded 1 file, 5 rows, in 0.2s (job 4).");
  // Rows older than the exit code column: the job's word alone is not enough.
  EXPECT_FALSE(describe_outcome({"load", "succeeded", std::nullopt, "Loaded.\n", ""}).success);
}

TEST(JobOutcome, ACrashedJobShowsTheEndOfItsLog) {
  const JobOutcome o = describe_outcome({"load", "crashed", std::nullopt, "", "load f.tsv: 40%\n"});
  EXPECT_FALSE(o.success);
  EXPECT_EQ(o.verdict.rfind("Crashed", 0), 0u) << o.verdict;
  EXPECT_TRUE(has_line(o.lines, "load f.tsv: 40%"));
}

TEST(JobTime, TenthsUnderAMinute) {
  EXPECT_EQ(job_time(0), "0.0s");
  EXPECT_EQ(job_time(4.24), "4.2s");
  EXPECT_EQ(job_time(42.36), "42.4s");
  EXPECT_EQ(job_time(59.9), "59.9s");
  EXPECT_EQ(job_time(61), "1:01");
  EXPECT_EQ(job_time(3700), "1:01:40");
}

TEST(Wrap, BreaksAtSpacesWithinTheWidth) {
  EXPECT_EQ(wrap("one two three four", 9, false), (std::vector<std::string>{"one two", "three", "four"}));
  EXPECT_EQ(wrap("", 10, false), (std::vector<std::string>{""}));
  EXPECT_EQ(wrap("short", 10, false), (std::vector<std::string>{"short"}));
}

TEST(Wrap, AWordLongerThanALineStartsALineAndIsBrokenWhereLinesEnd) {
  EXPECT_EQ(wrap("a /very/long/path/name b", 8, false), (std::vector<std::string>{"a", "/very/lo", "ng/path/", "name b"}));
}

TEST(Wrap, CountsDisplayColumnsNotBytes) {
  // As the menu runs: in a UTF-8 locale, where wcwidth knows wide characters.
  ASSERT_NE(std::setlocale(LC_ALL, "C.UTF-8"), nullptr);
  // "Zähler" is 6 columns in 7 bytes; "日本" is 4 columns.
  EXPECT_EQ(wrap("Zähler Zähler", 6, false), (std::vector<std::string>{"Zähler", "Zähler"}));
  EXPECT_EQ(wrap("日本 日本", 5, false), (std::vector<std::string>{"日本", "日本"}));
  std::setlocale(LC_ALL, "C");
}

TEST(EntryStatus, ACommandLineJobThatExitedNonzeroIsFailedWhateverItRecorded) {
  JobRecord j;
  j.status = JobStatus::succeeded;
  EXPECT_EQ(entry_status(std::nullopt, {j}, false), "succeeded");
  j.exit_code = 1;
  EXPECT_EQ(entry_status(std::nullopt, {j}, false), "failed");
  LaunchRecord l;
  l.exit_code = 0;
  j.status = JobStatus::failed;
  j.exit_code.reset();
  EXPECT_EQ(entry_status(l, {j}, false), "failed");
}

TEST(JobOutputFiles, PruningKeepsTheNewestJobsFiles) {
  test::TempDir dir;
  for (int id : {1, 2, 10, 11}) {
    std::ofstream(dir / ("job-" + std::to_string(id) + ".log")) << "log";
    std::ofstream(dir / ("job-" + std::to_string(id) + ".out")) << "out";
  }
  std::ofstream(dir / "job-2.log.1") << "rotated";
  std::ofstream(dir / "notes.txt") << "not a job's";
  prune_numbered_files(dir.path(), "job-", 2);
  for (const char* gone : {"job-1.log", "job-1.out", "job-2.log", "job-2.out", "job-2.log.1"})
    EXPECT_FALSE(std::filesystem::exists(dir / gone)) << gone;
  for (const char* kept : {"job-10.log", "job-10.out", "job-11.log", "job-11.out", "notes.txt"})
    EXPECT_TRUE(std::filesystem::exists(dir / kept)) << kept;
}

TEST(JobStoreV4, ExitCodeAndTimesWithFractions) {
  test::TempDir dir;
  JobStore store(dir / "jobs.sqlite");
  const std::int64_t id = store.begin_job("load", "x", "{}");
  store.finish_job(id, JobStatus::succeeded, "{}", "");
  EXPECT_FALSE(store.job(id)->exit_code.has_value());
  store.set_exit_code(id, 3);
  const JobRecord j = *store.job(id);
  EXPECT_EQ(j.exit_code, 3);
  EXPECT_GT(j.started_unix, 1.6e9);
  EXPECT_GE(j.finished_unix, j.started_unix);
  const std::int64_t l = store.add_launch("Analyze", "sluice --batch analyze f", "", "", "analyze");
  store.finish_launch(l, 0);
  EXPECT_EQ(store.launch(l)->kind, "analyze");
  EXPECT_GE(store.launch(l)->finished_unix, store.launch(l)->started_unix);
}

}  // namespace
}  // namespace sluice::tui
