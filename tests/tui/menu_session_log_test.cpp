// The session log turns a menu session into a script: saved, then run with sh against an empty
// schema, it gives the same table.
#include <gtest/gtest.h>

#include <cstdlib>

#include <fmt/format.h>

#include "tests/support/test_postgres.h"
#include "tests/tui/menu_fixture.h"
#include "tests/tui/menu_steps.h"

namespace sluice::test {
namespace {

class MenuSessionLog : public MenuFixture {};

TEST_F(MenuSessionLog, TheSavedLogReplayedGivesTheSameTables) {
  write_sample_config();
  SampleDataOptions o;
  o.rows = 4000;
  generate(o, "factLending_20240101-20240131.tsv");
  auto& m = start_menu();
  expect_screen("Session log");
  open_screen(m, "Load");
  load_month(m, "2024-01", true);
  expect_screen("Loaded and committed.");
  const std::string loaded = digest("fact_lending");
  ASSERT_EQ(count("fact_lending"), 4000);

  m.keys({"Escape"});
  open_screen(m, "Session log");
  expect_screen("load --month 2024-01");
  m.keys({"s"});
  expect_screen("Save as:");
  for (int i = 0; i < 200; ++i) m.keys({"BSpace"});
  const auto script = dir_ / "replay.sh";
  m.type(script.string());
  m.keys({"Enter"});
  expect_screen("Saved to");
  m.keys({"q"});

  // An empty schema, as before the session.
  auto conn = test_connection();
  conn.exec(fmt::format("DROP SCHEMA {} CASCADE", schema_));
  conn.exec(fmt::format("CREATE SCHEMA {}", schema_));

  const std::string bin_dir = std::filesystem::path(SLUICE_BINARY).parent_path().string();
  const std::string cmd = fmt::format("cd {} && env PATH={}:$PATH XDG_STATE_HOME={} XDG_CONFIG_HOME={} XDG_DATA_HOME={} sh {} >{} 2>&1",
                                      dir_.path().string(), bin_dir, (dir_ / "state").string(), (dir_ / "config").string(),
                                      (dir_ / "data").string(), script.string(), (dir_ / "replay.log").string());
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd;
  EXPECT_EQ(count("fact_lending"), 4000);
  EXPECT_EQ(digest("fact_lending"), loaded);
}

}  // namespace
}  // namespace sluice::test
