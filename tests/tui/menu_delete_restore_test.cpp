// Delete through the menu: a wrong typed confirmation deletes nothing, the right one deletes the
// month, and Restore puts back exactly what was there.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "tests/tui/menu_fixture.h"
#include "tests/tui/menu_steps.h"

namespace sluice::test {
namespace {

class MenuDelete : public MenuFixture {};

TEST_F(MenuDelete, WrongConfirmationDeletesNothingRightOneDeletesAndRestoreBringsItBack) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 3000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  const std::string before = digest("fact_lending");
  ASSERT_EQ(count("fact_lending"), 3000);

  auto& m = start_menu(120, 30);
  expect_screen("Session log");
  open_screen(m, "Delete");
  expect_screen("Preview");
  m.type("2024-01");
  m.keys({"Down", "Down", "Enter"});  // Table (all tables), Preview
  expect_screen("Type \"FACT_LENDING 2024-01\" to confirm");
  expect_screen("3,000 rows");

  m.type("FACT_LENDING 2024-02");
  m.keys({"Enter"});
  expect_screen("did not match: nothing was deleted");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(count("fact_lending"), 3000);

  m.type("FACT_LENDING 2024-01");
  m.keys({"Enter"});
  expect_screen("succeeded");
  expect_screen("Deleted.");
  EXPECT_EQ(count("fact_lending"), 0);

  m.keys({"Escape"});
  open_screen(m, "Restore");
  expect_screen("restorable");
  m.keys({"Enter"});
  expect_screen("y: yes");
  // The dialog stands beside the list: the delete's row and its first line share a screen line.
  std::string screen = m.screen();
  EXPECT_TRUE(std::regex_search(screen, std::regex("job \\d+ +restorable .*FACT_LENDING 2024-01-01\\.\\.2024-01-31: 3,000 rows")))
      << screen;
  EXPECT_NE(screen.find("restorable: 3,000 rows kept in"), std::string::npos) << screen;
  m.keys({"y"});
  expect_screen("succeeded");
  EXPECT_EQ(count("fact_lending"), 3000);
  EXPECT_EQ(digest("fact_lending"), before);

  // Restored now: the list says so, and the dialog offers nothing to do.
  m.keys({"Escape"});
  open_screen(m, "Restore");
  expect_screen("restored");
  m.keys({"Enter"});
  expect_screen("Restored already: nothing to do.");
  EXPECT_EQ(m.screen().find("y: yes"), std::string::npos) << m.screen();
  m.keys({"y"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(m.screen().find("Restore delete job"), std::string::npos) << "y started a restore:\n" << m.screen();
}

TEST_F(MenuDelete, EscapeAtTheConfirmationDeletesNothing) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 500;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  auto& m = start_menu();
  expect_screen("Session log");
  open_screen(m, "Delete");
  m.type("2024-01");
  m.keys({"Down", "Down", "Enter"});
  expect_screen("to confirm");
  m.keys({"Escape"});
  expect_screen("Nothing was deleted.");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(count("fact_lending"), 500);
}

}  // namespace
}  // namespace sluice::test
