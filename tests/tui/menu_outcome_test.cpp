// How a job's screen says it ended: a load of a latin-1 file (a config without encoding:) shows QC
// failed and the invalid-UTF-8 finding with its line, never a green tick; a job run in a shell shows
// its log and its result in Jobs like one the menu started.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "tests/tui/menu_fixture.h"
#include "tests/tui/menu_steps.h"

namespace sluice::test {
namespace {

class MenuOutcome : public MenuFixture {
 protected:
  // PEOPLE, read as UTF-8 (no encoding: in the config), and a file whose third line has "Café" in
  // latin-1: the byte 0xE9 at column 6.
  std::filesystem::path latin1_month() {
    write_config(
        "  - table: PEOPLE\n"
        "    file_pattern: \"people_{month}.tsv\"\n"
        "    columns:\n"
        "      - { name: ID, type: integer }\n"
        "      - { name: NAME, type: text }\n");
    const auto file = dir_ / "people_2024-01.tsv";
    std::ofstream(file, std::ios::binary) << "1\tAnna\n2\tBob\n3\tCaf\xe9\n4\tDora\n";
    return file;
  }
};

TEST_F(MenuOutcome, ALatin1FileLoadedWithoutAnEncodingShowsQcFailedAndTheFindingNotAGreenTick) {
  latin1_month();
  auto& m = start_menu(120, 40);
  expect_screen("Session log");
  open_screen(m, "Load");
  load_month(m, "2024-01", true);
  expect_screen("people_2024-01.tsv:3:6");
  // The job's verdict once it has ended: the log can show the findings a moment before the job's
  // record does, while its scan phase (which ran to its end) is still drawn as done.
  expect_screen("0 running");
  const std::string screen = m.screen();
  EXPECT_NE(screen.find("QC failed"), std::string::npos) << screen;
  EXPECT_NE(screen.find("invalid_utf8"), std::string::npos) << screen;
  EXPECT_EQ(screen.find("succeeded"), std::string::npos) << screen;
  EXPECT_EQ(screen.find("\u2714"), std::string::npos) << "a failed load is ticked:\n" << screen;
  EXPECT_FALSE(table_exists("people") && count("people") > 0) << "a load that failed QC published rows";
}

TEST_F(MenuOutcome, AJobRunInAShellShowsItsLogAndResultInJobs) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 1500;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const RunResult r = run({"--batch", "load", "--files", file.string(), "--create"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string latin1 = latin1_month().string();
  const RunResult failed = run({"--batch", "load", "--files", latin1, "--create"});
  ASSERT_EQ(failed.exit_code, 3) << failed.out << failed.err;

  write_sample_config();
  auto& m = start_menu(120, 40);
  expect_screen("Session log");
  open_screen(m, "Jobs");
  expect_screen("load: ");
  // The newest (the failed one) is selected first: its result is what the shell printed.
  m.keys({"Enter"});
  expect_screen("people_2024-01.tsv:3:6");
  std::string screen = m.screen();
  EXPECT_NE(screen.find("Failed (exit code 3)."), std::string::npos) << screen;
  EXPECT_NE(screen.find("QC findings:"), std::string::npos) << screen;
  m.keys({"Escape", "Down", "Enter"});
  expect_screen("Loaded 1 file, 1,500 rows");
  screen = m.screen();
  EXPECT_NE(screen.find("Succeeded."), std::string::npos) << screen;
  // Its log: what it printed on stderr, and its phases' ends.
  m.keys({"l"});
  expect_screen("factLending_20240101-20240131.tsv: done: 1500 rows");
}

}  // namespace
}  // namespace sluice::test
