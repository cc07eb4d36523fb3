// Jobs started from the menu are processes of their own: a load goes on after the menu quits and
// is shown finished by the next menu; a job whose process is killed shows as crashed; the file
// picker shows which table each file goes to and loads the files picked.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <thread>

#include "jobs/job_store.h"
#include "tests/tui/menu_fixture.h"
#include "tests/tui/menu_steps.h"

namespace sluice::test {
namespace {

class MenuJobs : public MenuFixture {
 protected:
  LaunchRecord newest_launch() {
    JobStore store(dir_ / "state" / "sluice" / "jobs.sqlite");
    const auto launches = store.recent_launches(1);
    return launches.empty() ? LaunchRecord{} : launches.front();
  }
};

TEST_F(MenuJobs, ALoadGoesOnAfterTheMenuQuitsAndTheNextMenuShowsItFinished) {
  write_sample_config();
  SampleDataOptions o;
  o.target_bytes = 60u << 20;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  const auto rows = static_cast<std::int64_t>(std::count(std::istreambuf_iterator<char>(*std::make_unique<std::ifstream>(file)),
                                                         std::istreambuf_iterator<char>(), '\n'));
  auto& m = start_menu();
  expect_screen("Session log");
  open_screen(m, "Load");
  load_month(m, "2024-01", true);
  expect_screen("1 running  ?:help");  // the title bar counts running jobs
  m.keys({"q"});
  for (int i = 0; i < 50 && m.alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(m.alive()) << "q did not quit the menu";
  const LaunchRecord launch = newest_launch();
  // The load's process outlives the menu and finishes on its own.
  for (int i = 0; i < 1200 && !newest_launch().exit_code; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(newest_launch().exit_code, 0) << "the load did not finish after the menu quit";
  EXPECT_EQ(count("fact_lending"), rows);

  auto& again = start_menu();
  expect_screen("Session log");
  open_screen(again, "Jobs");
  expect_screen("Load 2024-01 (all tables)");
  const std::string screen = again.screen();
  EXPECT_NE(screen.find("succeeded"), std::string::npos) << screen;
  EXPECT_NE(screen.find(launch.command.substr(0, 60)), std::string::npos) << screen;  // the selected job's command
}

TEST_F(MenuJobs, AJobWhoseProcessIsKilledShowsAsCrashed) {
  write_sample_config();
  SampleDataOptions o;
  o.target_bytes = 80u << 20;
  generate(o, "factLending_20240101-20240131.tsv");
  auto& m = start_menu();
  expect_screen("Session log");
  open_screen(m, "Load");
  load_month(m, "2024-01", true);
  expect_screen("1 running  ?:help");  // the title bar counts running jobs
  const LaunchRecord launch = newest_launch();
  ASSERT_GT(launch.pid, 0);
  ASSERT_EQ(::kill(launch.pid, SIGKILL), 0);
  expect_screen("crashed");
  EXPECT_FALSE(table_exists("fact_lending") && count("fact_lending") > 0) << "a killed load published rows";
}

TEST_F(MenuJobs, CancelOnTheJobScreenStopsTheLoadAndPublishesNothing) {
  write_sample_config();
  SampleDataOptions o;
  o.target_bytes = 150u << 20;
  generate(o, "factLending_20240101-20240131.tsv");
  auto& m = start_menu();
  expect_screen("Session log");
  open_screen(m, "Load");
  load_month(m, "2024-01", true);
  expect_screen("load factLending_20240101-20240131.tsv");  // the job has begun its first phase
  m.keys({"c"});
  expect_screen("Press c again to cancel");
  m.keys({"c"});
  expect_screen("cancelled");
  EXPECT_FALSE(table_exists("fact_lending") && count("fact_lending") > 0) << "a cancelled load published rows";
  const LaunchRecord launch = newest_launch();
  ASSERT_TRUE(launch.exit_code.has_value());
  EXPECT_NE(*launch.exit_code, 0);
}

TEST_F(MenuJobs, TheFilePickerShowsEachFilesTableAndLoadsThePickedOnes) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 1200;
  generate(o, "factLending_20240101-20240131.tsv");
  std::ofstream(dir_ / "notes.txt") << "not data\n";
  auto& m = start_menu(110, 30);
  expect_screen("Session log");
  open_screen(m, "Load");
  m.keys({"Right"});  // Load: chosen files
  expect_screen("Pick files");
  m.keys({"Down", "Down", "Down", "Enter"});  // Base path, Files, [Pick files]
  expect_screen("factLending_20240101-20240131.tsv");
  const std::string picker = m.screen();
  EXPECT_NE(picker.find("-> FACT_LENDING  (factLending_{date_range}.tsv)"), std::string::npos) << picker;
  EXPECT_NE(picker.find("(no table's pattern)"), std::string::npos) << picker;
  m.keys({"/"});
  m.type("factLending");
  m.keys({"Enter", " ", "d"});
  expect_screen("Files           " + (dir_ / "factLending_20240101-20240131.tsv").string());
  m.keys({"Down", "Down", "Down", "Right", "Down", "Enter"});  // QC, Replace, Create table: yes, Start
  expect_screen("Loaded and committed.");
  EXPECT_EQ(count("fact_lending"), 1200);
}

}  // namespace
}  // namespace sluice::test
