// The menu on different terminals: help on every screen, resizing to 80x24 and back, and the
// ASCII, no-colour fallback for LANG=C and TERM=vt100.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "tests/tui/menu_fixture.h"
#include "tests/tui/menu_steps.h"

namespace sluice::test {
namespace {

class MenuTerminal : public MenuFixture {};

std::vector<std::string> lines_of(const std::string& screen) {
  std::vector<std::string> out;
  std::istringstream in(screen);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The column just after the title bar's "?:help" (the bar spans the width), in display columns.
std::size_t help_hint_end(const std::string& screen) {
  const auto lines = lines_of(screen);
  if (lines.empty()) return 0;
  const auto at = lines[0].find("?:help");
  if (at == std::string::npos) return 0;
  std::size_t columns = 0;
  for (std::size_t i = 0; i < at; ++i) columns += (static_cast<unsigned char>(lines[0][i]) & 0xC0) != 0x80;
  return columns + 6;
}

TEST_F(MenuTerminal, QuestionMarkShowsHelpOnEveryScreenAndAnyKeyClosesIt) {
  write_sample_config();
  auto& m = start_menu();
  expect_screen("Session log");
  for (const std::string screen : {"Load", "Delete", "Jobs", "Report", "Settings"}) {
    open_screen(m, screen);
    expect_screen("sluice \u203a " + screen);
    m.keys({"Up"});  // off a text field, where ? is text (a form wraps to its last field; a list stays)
    m.keys({"?"});
    expect_screen("Help: " + screen);
    expect_screen("quit the menu (background jobs go on)");
    m.keys({"x"});
    EXPECT_TRUE(m.wait_gone("Press any key to close")) << m.screen();
    m.keys({"F1"});  // F1 works even in a text field
    expect_screen("Help: " + screen);
    m.keys({"x"});
    EXPECT_TRUE(m.wait_gone("Press any key to close")) << m.screen();
    m.keys({"Escape"});
    expect_screen("Session log");
  }
}

TEST_F(MenuTerminal, ResizingTo80x24AndBackRedraws) {
  write_sample_config();
  auto& m = start_menu(120, 40);
  expect_screen("Session log");
  EXPECT_EQ(help_hint_end(m.screen()), 119u) << m.screen();
  m.resize(80, 24);
  std::string last;
  ASSERT_TRUE(m.wait_for("Session log", std::chrono::seconds(5), &last)) << last;
  for (int i = 0; i < 20 && help_hint_end(m.screen()) != 79u; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto screen = m.screen();
  EXPECT_EQ(help_hint_end(screen), 79u) << screen;
  auto lines = lines_of(screen);
  ASSERT_GE(lines.size(), 24u);
  EXPECT_NE(lines[23].find("q: quit"), std::string::npos) << screen;  // the key line is the last row
  // The longest form fits: its button is on screen.
  open_screen(m, "Load");
  expect_screen("Start the load");
  m.resize(120, 40);
  for (int i = 0; i < 20 && help_hint_end(m.screen()) != 119u; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  screen = m.screen();
  EXPECT_EQ(help_hint_end(screen), 119u) << screen;
  EXPECT_NE(screen.find("Start the load"), std::string::npos) << screen;
  EXPECT_NE(lines_of(screen)[39].find("Esc: back"), std::string::npos) << screen;
}

// The screen's text, of a line with a box only what is inside the box, every run of blanks (line
// ends too) as one space: a sentence wrapped over several lines reads whole.
std::string flat(const std::string& screen) {
  std::string out;
  for (std::string line : lines_of(screen)) {
    const std::string side = "\u2502";
    const auto first = line.find(side), last = line.rfind(side);
    if (first != std::string::npos && last != first) line = line.substr(first + side.size(), last - first - side.size());
    for (const char c : line + " ")
      if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c;
  }
  return out;
}

TEST_F(MenuTerminal, MenuDescriptionsAndHelpWrapInsteadOfBeingCut) {
  write_sample_config();
  auto& m = start_menu(80, 24);
  expect_screen("Session log");
  for (const char* description : {"Load a month (all tables or one) or chosen files, with file, warehouse or no QC",
                                  "Check a month in the warehouse: every day present, unusual days, duplicates, NULLs",
                                  "This session's actions as sluice --batch commands (view, save)"})
    EXPECT_NE(flat(m.screen()).find(description), std::string::npos) << description << " is cut:\n" << m.screen();
  const std::string restore_help =
      "reloaded: kept, but the days hold rows again (loaded since), so restoring would double them: delete those days "
      "first. restored: put back already. expired: the backup table is gone, or on Snowflake the delete is past the "
      "table's Time Travel retention.";
  for (const auto& [width, height] : {std::pair{80, 24}, std::pair{120, 40}}) {
    m.resize(width, height);
    open_screen(m, "Restore");
    expect_screen("sluice \u203a Restore");
    m.keys({"?"});
    expect_screen("Help: Restore");
    // A help longer than the screen scrolls with Down; somewhere the whole text is on it.
    std::string screen = m.screen();
    for (int i = 0; i < 20 && flat(screen).find(restore_help) == std::string::npos && screen.find("Down/PgDn: more") != std::string::npos; ++i) {
      m.keys({"Down"});
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      screen = m.screen();
    }
    EXPECT_NE(flat(screen).find(restore_help), std::string::npos) << width << "x" << height << ":\n" << screen;
    m.keys({"x"});
    EXPECT_TRUE(m.wait_gone("Help: Restore")) << m.screen();
    m.keys({"Escape"});
    expect_screen("Session log");
  }
}

TEST_F(MenuTerminal, CtrlCQuitsAndRestoresTheTerminal) {
  write_sample_config();
  auto& m = start_menu();
  expect_screen("Session log");
  m.keys({"C-c"});
  for (int i = 0; i < 50 && m.alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(m.alive()) << m.screen();
  // The menu left the alternate screen: what the shell showed before is back, no menu on it.
  EXPECT_EQ(m.screen().find("Session log"), std::string::npos) << m.screen();
}

TEST_F(MenuTerminal, LangCAndVt100GetPlainAscii) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 2000;
  const auto file = generate(o, "factLending_20240101-20240131.tsv");
  ASSERT_EQ(run({"--batch", "load", "--files", file.string(), "--create"}).exit_code, 0);
  auto& m = start_menu(100, 30, {{"LANG", "C"}, {"LC_ALL", "C"}, {"TERM", "vt100"}});
  expect_screen("Session log");
  open_screen(m, "Jobs");
  expect_screen("succeeded");
  m.keys({"Enter"});
  expect_screen("100%");
  const std::string screen = m.screen();
  for (unsigned char c : screen) ASSERT_LT(c, 0x80) << "a byte outside ASCII on screen:\n" << screen;
  EXPECT_NE(screen.find("[####"), std::string::npos) << screen;
  EXPECT_NE(screen.find("sluice > Jobs > Job"), std::string::npos) << screen;
  EXPECT_NE(screen.find("-----"), std::string::npos) << screen;
}

}  // namespace
}  // namespace sluice::test
