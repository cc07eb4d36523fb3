// A month loaded through the menu runs as a background job, finishes in Jobs, and shows in Report.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "tests/tui/menu_fixture.h"
#include "tests/tui/menu_steps.h"

namespace sluice::test {
namespace {

class MenuLoad : public MenuFixture {};

TEST_F(MenuLoad, AMonthLoadedThroughTheMenuFinishesInJobsAndAppearsInReport) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 5000;
  generate(o, "factLending_20240101-20240131.tsv");
  auto& m = start_menu();
  expect_screen("Session log");
  open_screen(m, "Load");
  expect_screen("Start the load");
  load_month(m, "2024-01", true);
  expect_screen("succeeded");
  expect_screen("Loaded and committed.");
  EXPECT_EQ(count("fact_lending"), 5000);

  m.keys({"Escape"});
  open_screen(m, "Jobs");
  expect_screen("Load 2024-01 (all tables)");
  const std::string jobs = m.screen();
  EXPECT_NE(jobs.find("succeeded"), std::string::npos) << jobs;

  EXPECT_TRUE(std::regex_search(jobs, std::regex(R"(succeeded +job \d+ +\d+\.\ds  Load 2024-01)"))) << "no tenths:\n" << jobs;

  const RunResult v = run({"--batch", "validate", "--month", "2024-01"});
  m.keys({"Escape"});
  open_screen(m, "Report");
  expect_screen("5,000");
  const std::string report = m.screen();
  EXPECT_NE(report.find("FACT_LENDING"), std::string::npos) << report;
  EXPECT_NE(report.find("2024-01-01"), std::string::npos) << report;
  EXPECT_NE(report.find("2024-01-31"), std::string::npos) << report;
  // Enter opens the table: rows per month, the last load, the last validate.
  m.keys({"Enter"});
  expect_screen("Rows per month:");
  const std::string detail = m.screen();
  EXPECT_NE(detail.find("2024-01            5,000"), std::string::npos) << detail;
  EXPECT_TRUE(std::regex_search(detail, std::regex("Last load: .*factLending_20240101-20240131\\.tsv\n +5,000 rows, days "
                                                   "2024-01-01\\.\\.2024-01-31, at "))) << detail;
  EXPECT_NE(detail.find(std::string("Last validate: ") + (v.exit_code == 0 ? "PASS" : "FAIL") + " over 2024-01-01..2024-01-31"),
            std::string::npos) << detail;
}

TEST_F(MenuLoad, CtrlUClearsAFieldAndTheNextLoadFormStartsFromTheLastMonthAndBasePath) {
  write_sample_config();
  std::filesystem::create_directory(dir_ / "in");
  SampleDataOptions o;
  o.rows = 800;
  generate(o, "in/factLending_20240101-20240131.tsv");
  const std::string base = (dir_ / "in").string();
  auto& m = start_menu(120, 30);
  expect_screen("Session log");
  open_screen(m, "Load");
  expect_screen("Start the load");
  m.keys({"Down"});  // Month
  m.type("junk");
  m.keys({"C-u"});
  m.type("2024-01");
  expect_screen("2024-01_");
  EXPECT_EQ(m.screen().find("junk"), std::string::npos) << m.screen();
  m.keys({"Down", "Down", "C-u"});  // Table, Base path: cleared
  m.type(base);
  m.keys({"Down", "Down", "Down", "Right", "Down", "Enter"});  // QC, Replace, Create table: yes, Start
  expect_screen("Loaded and committed.");
  EXPECT_EQ(count("fact_lending"), 800);
  m.keys({"Escape"});
  open_screen(m, "Load");
  expect_screen("Start the load");
  std::string form = m.screen();
  EXPECT_NE(form.find("2024-01"), std::string::npos) << form;
  EXPECT_NE(form.find(base), std::string::npos) << form;
  // And in the next menu.
  m.keys({"Escape", "q"});
  for (int i = 0; i < 50 && m.alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto& again = start_menu(120, 30);
  expect_screen("Session log");
  open_screen(again, "Load");
  expect_screen("Start the load");
  form = again.screen();
  EXPECT_NE(form.find("2024-01"), std::string::npos) << form;
  EXPECT_NE(form.find(base), std::string::npos) << form;
}

TEST_F(MenuLoad, AKeyIsAnsweredPromptlyWhileALoadRuns) {
  write_sample_config();
  SampleDataOptions o;
  o.target_bytes = 150u << 20;
  generate(o, "factLending_20240101-20240131.tsv");
  auto& m = start_menu();
  expect_screen("Session log");
  open_screen(m, "Load");
  load_month(m, "2024-01", true);
  expect_screen("1 running  ?:help");  // the title bar counts running jobs
  // The help opens while the load scans and copies on both cores.
  const auto t0 = std::chrono::steady_clock::now();
  m.keys({"?"});
  ASSERT_TRUE(m.wait_for("Press any key to close", std::chrono::seconds(5)));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("help_latency_ms", static_cast<int>(ms));
  std::printf("key answered in %lld ms while the load ran (tmux round trip included)\n", static_cast<long long>(ms));
  const std::string screen = m.screen();
  EXPECT_LT(ms, 400) << "the menu took " << ms << " ms to answer a key during a load";
  EXPECT_NE(screen.find("1 running"), std::string::npos) << "the load had already ended; the measurement says nothing:\n" << screen;
  m.keys({"Escape"});
  expect_screen("succeeded", std::chrono::seconds(300));
}

}  // namespace
}  // namespace sluice::test
