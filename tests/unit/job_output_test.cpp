// A job run in a shell keeps what it printed for the menu, and the shell sees the same as before:
// the real binary, a dry-run load (a job that needs no server) of a file that fails QC.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "jobs/job_output.h"
#include "jobs/job_store.h"
#include "tests/support/run_sluice.h"
#include "tests/support/temp_dir.h"

namespace sluice {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(JobOutput, AJobRunInAShellKeepsItsResultLogAndExitCode) {
  test::TempDir dir;
  const auto config = dir.write("sluice.yaml",
                                "target: pg\n"
                                "connections:\n"
                                "  pg: { type: postgres, dsn: \"host=/nonexistent dbname=x\", schema: s }\n"
                                "tables:\n"
                                "  - table: PEOPLE\n"
                                "    file_pattern: \"people_{month}.tsv\"\n"
                                "    columns:\n"
                                "      - { name: ID, type: integer }\n"
                                "      - { name: NAME, type: text }\n");
  const auto file = dir.write("people_2024-01.tsv", "1\tAnna\n2\tx\ty\n");
  test::RunOptions o;
  o.env = {{"XDG_STATE_HOME", (dir / "state").string()}};
  const auto r = test::run_sluice({"--batch", "--config", config.string(), "load", "--files", file.string(), "--dry-run"}, o);
  ASSERT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("people_2024-01.tsv:2"), std::string::npos) << r.out;

  const auto state = dir / "state" / "sluice";
  JobStore store(state / "jobs.sqlite");
  const auto jobs = store.recent_jobs(5);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].exit_code, 3);
  const JobOutputFiles files = job_output_files(state, jobs[0].id);
  EXPECT_EQ(read_all(files.result), r.out) << "the result kept is not what the shell got";
  const std::string log = read_all(files.log);
  EXPECT_NE(log.find("check people_2024-01.tsv: done: 2 rows in "), std::string::npos) << log;
}

}  // namespace
}  // namespace sluice
